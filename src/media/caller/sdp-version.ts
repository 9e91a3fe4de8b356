/**
 * The o= line's session version across the SDP one endpoint produces: RFC 3264 §8 wants the same
 * version for an unchanged description (a session refresh) and version + 1 for a changed one.
 */
export class SdpVersion {
  #version = 1;
  #last: string | undefined;

  get current(): number {
    return this.#version;
  }

  /** Builds with the current version; when the text differs from the last one, bumps and rebuilds. */
  build(write: (version: number) => string): string {
    let sdp = write(this.#version);
    if (this.#last !== undefined && sdp !== this.#last) {
      this.#version++;
      sdp = write(this.#version);
    }
    this.#last = sdp;
    return sdp;
  }
}
