/**
 * Writes to a Bun socket with backpressure: what the kernel does not take now is
 * queued and written from the socket's `drain` handler, in order.
 */
import type { Socket } from 'bun'

export class SocketWriter {
  private outbox: Uint8Array[] = []

  constructor(private readonly socket: Socket<unknown>) {}

  write(bytes: Uint8Array): void {
    if (this.outbox.length > 0) {
      this.outbox.push(bytes)
      return
    }
    const written = this.socket.write(bytes)
    if (written < bytes.byteLength) this.outbox.push(bytes.subarray(Math.max(0, written)))
  }

  /** Call from the socket's `drain` handler. */
  flush(): void {
    while (this.outbox.length > 0) {
      const next = this.outbox[0]!
      const written = this.socket.write(next)
      if (written < next.byteLength) {
        this.outbox[0] = next.subarray(Math.max(0, written))
        return
      }
      this.outbox.shift()
    }
  }

  clear(): void {
    this.outbox = []
  }
}
