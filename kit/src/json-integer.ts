/**
 * An integer in a JSON body (responses, stored documents): plain TypeBox.
 *
 * Elysia's `t.Integer` also accepts numeric strings, through a TypeBox Transform;
 * that is right for query strings and path parameters, but a Transform anywhere in
 * a response schema makes Elysia encode every response value by value, which took
 * about a third of the feed service's CPU per page. Use this in response models.
 */
import { type IntegerOptions, Type } from '@sinclair/typebox'

/**
 * @example
 * const Post = t.Object({ id: t.String(), version: JsonInteger({ minimum: 1 }) })
 */
export const JsonInteger = (options?: IntegerOptions) => Type.Integer(options)
