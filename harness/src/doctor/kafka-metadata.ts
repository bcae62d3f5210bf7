/**
 * Reads the brokers a Kafka bootstrap server advertises, with one Metadata v1
 * request and no topic list, over a plain TCP connection: unlike a full client,
 * it does not go on to connect to the advertised addresses, which is exactly what
 * the doctor needs to test separately.
 * Source: https://kafka.apache.org/protocol#The_Messages_Metadata (MetadataRequest/Response v1)
 */
import { connect } from 'node:net'

export interface AdvertisedBroker {
  nodeId: number
  host: string
  port: number
}

/** The Metadata v1 request asking for no topics, framed with its size. */
export function metadataRequest(correlationId: number, clientId: string): Buffer {
  const client = Buffer.from(clientId)
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4)
  let o = body.writeInt16BE(3, 0) // api_key Metadata
  o = body.writeInt16BE(1, o) // api_version 1
  o = body.writeInt32BE(correlationId, o)
  o = body.writeInt16BE(client.length, o)
  o += client.copy(body, o)
  body.writeInt32BE(0, o) // topics: empty array (v1: brokers only)
  const frame = Buffer.alloc(4)
  frame.writeInt32BE(body.length, 0)
  return Buffer.concat([frame, body])
}

/**
 * Parses the brokers of a Metadata v1 response (without its size prefix).
 * @throws RangeError on a truncated response.
 */
export function parseMetadataBrokers(res: Buffer): AdvertisedBroker[] {
  let o = 4 // correlation_id
  const count = res.readInt32BE(o)
  o += 4
  const brokers: AdvertisedBroker[] = []
  for (let i = 0; i < count; i++) {
    const nodeId = res.readInt32BE(o)
    const hostLength = res.readInt16BE(o + 4)
    const host = res.subarray(o + 6, o + 6 + hostLength).toString()
    if (o + 6 + hostLength > res.length) throw new RangeError('truncated Metadata response')
    o += 6 + hostLength
    const port = res.readInt32BE(o)
    const rackLength = res.readInt16BE(o + 4)
    o += 6 + Math.max(0, rackLength)
    brokers.push({ nodeId, host, port })
  }
  return brokers
}

/**
 * @throws on connection errors, timeouts and malformed answers.
 * @example await advertisedBrokers('kafka', 9092) // [{ nodeId: 1, host: 'kafka', port: 9092 }]
 */
export function advertisedBrokers(
  host: string,
  port: number,
  timeoutMs = 3_000,
): Promise<AdvertisedBroker[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let buffered = Buffer.alloc(0)
    const timer = setTimeout(
      () => finish(new Error(`no Metadata answer in ${timeoutMs} ms`)),
      timeoutMs,
    )
    const finish = (err: Error | null, brokers?: AdvertisedBroker[]) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(brokers!)
    }
    socket.once('connect', () => socket.write(metadataRequest(1, 'harness-doctor')))
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < 4) return
      const size = buffered.readInt32BE(0)
      if (buffered.length < 4 + size) return
      try {
        finish(null, parseMetadataBrokers(buffered.subarray(4, 4 + size)))
      } catch (err) {
        finish(err as Error)
      }
    })
    socket.once('error', (err) => finish(err))
  })
}
