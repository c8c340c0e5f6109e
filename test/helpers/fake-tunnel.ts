// An in-memory Tunnel (the transport's seam) over stream.duplexPair: what the local side writes
// arrives on `podSide`, what the test writes on `podSide` comes out of the tunnel. Ending
// `podSide` ends the tunnel's readable side, as the pod closing its connection would; destroying
// the tunnel with a PortForwardError plays an error-channel message.

import {Duplex, duplexPair} from 'node:stream'

import {type Tunnel, V4_BINARY} from '../../src/portforward/types.ts'

export class FakeTunnel extends Duplex implements Tunnel {
  readonly namespace: string
  readonly pod: string
  readonly port: number
  readonly protocol = V4_BINARY
  /** Ending the tunnel ends podSide's readable side: a transport with half-close. */
  readonly halfClose = 'fin'
  /** The pod's end of the connection. */
  readonly podSide: Duplex
  readonly done: Promise<Error | undefined>
  bytesIn = 0
  bytesOut = 0
  errorMessage: string | undefined
  private readonly inner: Duplex

  constructor(target: {namespace: string; pod: string; port: number}) {
    super({allowHalfOpen: true})
    this.namespace = target.namespace
    this.pod = target.pod
    this.port = target.port
    const [mine, theirs] = duplexPair()
    this.inner = mine
    this.podSide = theirs
    mine.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      if (!this.push(chunk)) mine.pause()
    })
    mine.on('end', () => this.push(null))
    mine.on('error', error => this.destroy(error))
    theirs.on('error', () => {})
    this.on('error', () => {})
    this.done = new Promise(resolve => this.once('close', () => resolve(this.errored ?? undefined)))
  }

  _read(): void {
    this.inner.resume()
  }

  _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesOut += chunk.length
    this.inner.write(chunk, callback)
  }

  _final(callback: (error?: Error | null) => void): void {
    this.inner.end()
    callback()
  }

  _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy()
    this.podSide.destroy()
    callback(error)
  }
}
