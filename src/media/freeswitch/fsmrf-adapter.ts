/**
 * drachtio-fsmrf behind the FsMediaServer / FsEndpoint interfaces. The library's own recovery
 * is not used: its event socket reconnects by itself without re-subscribing, so a lost connection
 * is closed for good here and FreeswitchConnection makes a new one with its own backoff.
 */
import Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import { sipErrorStatus } from '../../sip/srf-types.js';
import { SdpNegotiationError } from '../caller/sdp-negotiation.js';
import type { FsConnector, FsEndpoint, FsEndpointOptions, FsMediaServer } from './fs-types.js';

export interface FsmrfOptions {
  host: string;
  port: number;
  secret: string;
  /** Where our outbound event socket listener binds (FreeSWITCH connects to it per channel). */
  listenAddress: string;
  /** 0 picks a free port. */
  listenPort: number;
  /** Address FreeSWITCH should connect back to, when not the listen address (NAT, containers). */
  advertisedAddress?: string | undefined;
  /** SIP profile of FreeSWITCH drachtio-server sends the endpoints' INVITEs to. */
  profile: string;
}

/** A FreeSWITCH failure that is not about the offer (channel setup timed out, server gone). */
export class FreeswitchError extends Error {
  override readonly name = 'FreeswitchError';
}

/** A refused offer becomes SdpNegotiationError (the phone gets 488); anything else FreeswitchError. */
function offerFailure(err: unknown, what: string): Error {
  const status = sipErrorStatus(err);
  if (status === 488 || status === 415 || status === 606) return new SdpNegotiationError(`FreeSWITCH refused the offer (${status})`);
  return new FreeswitchError(`${what}: ${status ?? (err as Error).message}`, { cause: err });
}

/** The library's Endpoint as an FsEndpoint, with FreeSWITCH's refusals of a re-offer translated. */
function fsEndpoint(ep: Mrf.Endpoint): FsEndpoint {
  return {
    uuid: ep.uuid,
    get local() {
      return ep.local;
    },
    play: (file) => ep.play(file),
    playCollect: (opts) => ep.playCollect(opts),
    modify: (sdp) => ep.modify(sdp).catch((err: unknown) => Promise.reject(offerFailure(err, 'FreeSWITCH did not take the new offer'))),
    bridge: (other) => ep.bridge(other.uuid),
    unbridge: () => ep.unbridge(),
    api: (command, args) => ep.api(command, args),
    destroy: () => ep.destroy(),
    on(event: 'dtmf' | 'destroy', listener: (...args: never[]) => void) {
      return ep.on(event, listener as (...args: unknown[]) => void);
    },
    removeAllListeners: () => ep.removeAllListeners(),
  } as FsEndpoint;
}

class FsmrfMediaServer implements FsMediaServer {
  #lost = false;
  #listeners: Array<(reason: string) => void> = [];

  constructor(private readonly ms: Mrf.MediaServer) {
    ms.on('end', () => this.#markLost('event socket connection closed'));
    // The library reports readiness failures as 'error'; an unheard 'error' would kill the process.
    ms.on('error', (err: unknown) => this.#markLost(`media server error: ${String(err)}`));
  }

  async createEndpoint(opts: FsEndpointOptions): Promise<FsEndpoint> {
    if (this.#lost) throw new FreeswitchError('FreeSWITCH is not connected');
    try {
      return fsEndpoint(await this.ms.createEndpoint(opts.remoteSdp === undefined ? {} : { remoteSdp: opts.remoteSdp }));
    } catch (err) {
      throw offerFailure(err, 'FreeSWITCH endpoint not created');
    }
  }

  onLost(listener: (reason: string) => void): void {
    this.#listeners.push(listener);
  }

  disconnect(): void {
    this.#markLost('disconnected');
  }

  #markLost(reason: string): void {
    if (this.#lost) return;
    this.#lost = true;
    const conn = this.ms.conn;
    try {
      // Sets the socket's closing flag before its own retry logic runs (this can be called from
      // inside the socket's close handler), so the library does not reconnect behind our back.
      this.ms.disconnect();
    } catch {
      // Writing 'exit' to a socket that is already gone throws; the socket is gone either way.
    }
    // disconnect() removed every listener; a late write error must not become an unheard 'error'.
    conn?.on('error', () => undefined);
    for (const l of this.#listeners.splice(0)) l(reason);
  }
}

/** A connector that makes one drachtio-fsmrf connection per call. */
export function fsmrfConnector(srf: Srf, opts: FsmrfOptions): FsConnector {
  const mrf = new Mrf(srf);
  return async () => {
    const ms = await mrf.connect({
      address: opts.host,
      port: opts.port,
      secret: opts.secret,
      listenAddress: opts.listenAddress,
      listenPort: opts.listenPort,
      ...(opts.advertisedAddress !== undefined ? { advertisedAddress: opts.advertisedAddress } : {}),
      profile: opts.profile,
    });
    return new FsmrfMediaServer(ms);
  };
}
