/** The one kafkajs internal the kit touches (see kafkajs-idle-loop-fix.ts). */
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: { prototype: object } | undefined
  export default RequestQueue
}
