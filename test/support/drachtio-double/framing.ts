/**
 * drachtio's stream framing: every message is `<byte length>#<utf-8 text>`, back to back on
 * one TCP connection, with no delimiter after the text.
 */

export function encodeFrame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'ascii'), body]);
}

/** Reassembles frames from arbitrary TCP chunks (a frame may span chunks; a chunk may hold several). */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  /** Returns the complete messages now available; throws on a malformed length prefix. */
  push(chunk: Buffer): string[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.#pending.indexOf(0x23); // '#'
      if (hash === -1) {
        if (this.#pending.length > 12 || /[^0-9]/.test(this.#pending.toString('latin1'))) {
          throw new Error(`invalid drachtio frame prefix: ${JSON.stringify(this.#pending.subarray(0, 20).toString())}`);
        }
        return out;
      }
      const prefix = this.#pending.subarray(0, hash).toString('latin1');
      if (!/^[0-9]{1,12}$/.test(prefix) || Number(prefix) <= 0) {
        throw new Error(`invalid drachtio frame length: ${JSON.stringify(prefix)}`);
      }
      const end = hash + 1 + Number(prefix);
      if (this.#pending.length < end) return out;
      out.push(this.#pending.subarray(hash + 1, end).toString('utf8'));
      this.#pending = this.#pending.subarray(end);
    }
  }
}
