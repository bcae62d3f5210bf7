/** Preact with htm: JSX-like templates in tagged strings, so the browser code needs no JSX build step. */
import htm from 'htm'
import { h } from 'preact'

export const html = htm.bind(h)
