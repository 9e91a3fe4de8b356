/**
 * What the FreeSWITCH media mode needs from drachtio-fsmrf, as narrow interfaces: the real
 * library objects satisfy them (see fsmrf-adapter.ts), and unit tests use small fakes.
 */

export interface FsDtmfEvent {
  dtmf: string;
  source?: string;
}

export interface FsDestroyEvent {
  /** FreeSWITCH's hangup cause (e.g. MEDIA_TIMEOUT, NORMAL_CLEARING) when it hung up itself. */
  reason?: string;
}

export interface FsPlayCollect {
  file: string;
  min: number;
  max: number;
  tries: number;
  /** Wait for the first digit after the prompt, ms. */
  timeout: number;
  /** Wait between digits, ms. */
  digitTimeout: number;
  terminators: string;
  regexp: string;
}

/** One FreeSWITCH channel (a drachtio-fsmrf Endpoint). */
export interface FsEndpoint {
  readonly uuid: string;
  /** FreeSWITCH's current SDP toward the far end of this channel. */
  readonly local: { readonly sdp: string };
  play(file: string): Promise<unknown>;
  playCollect(opts: FsPlayCollect): Promise<{ digits?: string | undefined }>;
  /** Re-INVITEs FreeSWITCH with a new remote SDP; `local.sdp` is FreeSWITCH's answer afterwards. */
  modify(sdp: string): Promise<unknown>;
  bridge(other: FsEndpoint): Promise<void>;
  unbridge(): Promise<void>;
  api(command: string, args: string): Promise<unknown>;
  destroy(): Promise<void>;
  on(event: 'dtmf', listener: (ev: FsDtmfEvent) => void): unknown;
  on(event: 'destroy', listener: (ev?: FsDestroyEvent) => void): unknown;
  removeAllListeners(): unknown;
}

export interface FsEndpointOptions {
  /** The far end's SDP offer; without it FreeSWITCH makes the offer (3PCC). */
  remoteSdp?: string;
}

/** One connected FreeSWITCH (a drachtio-fsmrf MediaServer). */
export interface FsMediaServer {
  createEndpoint(opts: FsEndpointOptions): Promise<FsEndpoint>;
  /** Fires once when the event socket connection is gone. */
  onLost(listener: (reason: string) => void): void;
  /** Closes the event socket and the outbound listener; idempotent. */
  disconnect(): void;
}

/** Makes one connection attempt; rejects when FreeSWITCH can't be reached or refuses us. */
export type FsConnector = () => Promise<FsMediaServer>;
