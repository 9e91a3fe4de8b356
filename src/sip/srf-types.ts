import type Srf from 'drachtio-srf';

/**
 * drachtio-srf as it behaves at runtime, reduced to what the SIP app uses. The library's bundled
 * d.ts is wrong in places that matter here: createUAC's cbRequest is called (err, req), request()
 * takes (uri, opts), Response#send takes (status, opts, callback), header getters return
 * undefined for a missing header, and Dialog#local carries the Contact. `srfApi()` is the one
 * place the real Srf is viewed through these types.
 */

export type SrfHeaders = Record<string, string>;

/** Read access shared by every SIP message srf hands us. */
export interface SrfMessage {
  /** '' when the message has no body (srf may also leave it undefined). */
  readonly body: string | undefined;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

/** One part of a (possibly multipart) body, as srf's parser splits it. */
export interface SrfPayloadPart {
  readonly type: string | null | undefined;
  readonly content: string | undefined;
}

/** A request that came from the network. */
export interface SrfIncomingRequest extends SrfMessage {
  readonly method: string;
  readonly uri: string;
  readonly source_address: string;
  readonly source_port: number;
  readonly protocol: string;
  readonly payload: readonly SrfPayloadPart[] | undefined;
  /** For an initial INVITE: emitted after drachtio-server answered a CANCEL with 487 itself. */
  on(event: 'cancel', listener: (cancel: SrfMessage) => void): unknown;
  /** For an initial INVITE not yet answered: an UPDATE in its early dialog. */
  on(event: 'update', listener: (update: SrfIncomingRequest, res: SrfServerResponse) => void): unknown;
  removeListener(event: 'cancel', listener: (cancel: SrfMessage) => void): unknown;
  removeListener(event: 'update', listener: (update: SrfIncomingRequest, res: SrfServerResponse) => void): unknown;
}

export interface SrfSendOptions {
  headers?: SrfHeaders;
  body?: string;
}

/** The response object paired with an incoming request. */
export interface SrfServerResponse {
  /** True once a final response has been sent (or refused). */
  readonly finalResponseSent: boolean;
  send(status: number, opts?: SrfSendOptions, callback?: (err: unknown, sent?: SrfMessage) => void): void;
}

/** A response to a request the app sent. */
export interface SrfResponse extends SrfMessage {
  readonly status: number;
  readonly reason: string;
}

/** A request the app sent (as drachtio-server echoed it back: Contact/From rewritten, tags set). */
export interface SrfSentRequest extends SrfMessage {
  readonly method: string;
  readonly uri: string;
  on(event: 'response', listener: (res: SrfResponse) => void): unknown;
  cancel(callback?: (err: unknown) => void): void;
}

export interface SrfDialogRequestOptions {
  method: string;
  headers?: SrfHeaders;
  body?: string;
}

export type SrfDialogEvents = {
  /** A BYE from the far end; srf has already answered it 200 and forgotten the dialog. */
  destroy: [req: SrfIncomingRequest, reason?: string];
  /** A re-INVITE (srf emits 'modify' for every re-INVITE once a listener exists). */
  modify: [req: SrfIncomingRequest, res: SrfServerResponse];
  update: [req: SrfIncomingRequest, res: SrfServerResponse];
  info: [req: SrfIncomingRequest, res: SrfServerResponse];
  refer: [req: SrfIncomingRequest, res: SrfServerResponse];
  /** A NOTIFY inside the dialog (a REFER's progress); srf answers 200 itself only without a listener. */
  notify: [req: SrfIncomingRequest, res: SrfServerResponse];
  ack: [req: SrfIncomingRequest];
};

export interface SrfDialog {
  readonly type: 'uas' | 'uac';
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { uri: string; sdp: string | undefined; contact: string | undefined };
  readonly remote: { uri: string; sdp: string | undefined };
  readonly connected: boolean;
  /** The dialog-forming INVITE (ours for a UAC dialog, the caller's for a UAS one). */
  readonly req: SrfMessage;
  /** For a UAC dialog, the 200 that formed it; for a UAS dialog srf's response object (not read). */
  readonly res: SrfMessage;
  on<K extends keyof SrfDialogEvents>(event: K, listener: (...args: SrfDialogEvents[K]) => void): unknown;
  /** Sends BYE; resolves when it was answered (or rejects when drachtio refused to send it). */
  destroy(opts?: { headers?: SrfHeaders }): Promise<unknown>;
  request(opts: SrfDialogRequestOptions): Promise<SrfResponse>;
}

export type SrfNext = (err?: unknown) => void;
export type SrfMiddleware = (req: SrfIncomingRequest, res: SrfServerResponse, next: SrfNext) => void;

export interface SrfAuth {
  username: string;
  password: string;
}

export interface SrfUacOptions {
  headers?: SrfHeaders;
  localSdp: string;
  auth?: SrfAuth;
  /** An outbound proxy to send the INVITE through (sip URI or host[:port]). */
  proxy?: string;
}

export interface SrfUacProgress {
  /** Called (err, req) when the INVITE was sent or could not be. */
  cbRequest?: (err: unknown, req?: SrfSentRequest) => void;
  cbProvisional?: (res: SrfResponse) => void;
}

export interface SrfRequestOptions {
  method: string;
  headers?: SrfHeaders;
  body?: string;
  auth?: SrfAuth;
  proxy?: string;
}

/** The parts of Srf the SIP app calls. */
export interface SrfApi {
  /** Adds middleware for one method; drachtio routes that method to this app from then on. */
  use(method: string, ...middleware: SrfMiddleware[]): unknown;
  createUAS(req: SrfIncomingRequest, res: SrfServerResponse, opts: { localSdp: string; headers?: SrfHeaders }): Promise<SrfDialog>;
  createUAC(uri: string, opts: SrfUacOptions, progress: SrfUacProgress): Promise<SrfDialog>;
  /**
   * Sends a request outside any dialog; calls back with the request as sent. The callback form
   * matters: srf calls it synchronously, so a 'response' listener attached there cannot miss a
   * response that arrived in the same read as drachtio's acknowledgement (the Promise form can).
   */
  request(uri: string, opts: SrfRequestOptions, callback: (err: unknown, req?: SrfSentRequest) => void): unknown;
}

/** The status of a SIP failure srf reports (SipError), if the value is one. */
export function sipErrorStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** The real Srf seen through the narrowed runtime types above (the only cast of its kind). */
export function srfApi(srf: Srf): SrfApi {
  return srf as unknown as SrfApi;
}
