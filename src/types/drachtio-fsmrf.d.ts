/**
 * The part of drachtio-fsmrf 4.x the gateway uses, typed as it behaves at runtime (the package
 * ships no types). The gateway itself depends on the narrower interfaces in
 * src/media/freeswitch/fs-types.ts; this file only lets the adapter import the library.
 */
declare module 'drachtio-fsmrf' {
  import type { EventEmitter } from 'node:events';
  import type Srf from 'drachtio-srf';

  namespace Mrf {
    interface ConnectOptions {
      address: string;
      port?: number;
      secret?: string;
      listenAddress?: string;
      /** 0 picks a free port. */
      listenPort?: number;
      advertisedAddress?: string;
      advertisedPort?: number;
      profile?: string;
    }

    interface EslEvent {
      getHeader(name: string): string | undefined;
      getBody(): string;
    }

    interface EslConnection extends EventEmitter {
      closing?: boolean;
      socket: unknown;
    }

    interface EndpointOptions {
      remoteSdp?: string;
      codecs?: string | string[];
      headers?: Record<string, string>;
    }

    interface PlayCollectOptions {
      file: string;
      min?: number;
      max?: number;
      tries?: number;
      timeout?: number;
      digitTimeout?: number;
      terminators?: string;
      invalidFile?: string;
      regexp?: string;
      varName?: string;
    }

    interface Endpoint extends EventEmitter {
      readonly uuid: string;
      readonly local: { sdp: string; mediaIp?: string; mediaPort?: string };
      readonly remote: { sdp: string };
      readonly connected: boolean;
      play(file: string): Promise<unknown>;
      playCollect(opts: PlayCollectOptions): Promise<{ digits?: string; terminatorUsed?: string }>;
      modify(sdp: string): Promise<unknown>;
      bridge(other: Endpoint | string): Promise<void>;
      unbridge(): Promise<void>;
      api(command: string, args?: string | string[]): Promise<unknown>;
      execute(app: string, arg?: string): Promise<EslEvent>;
      set(param: string | Record<string, string>, value?: string): Promise<unknown>;
      destroy(): Promise<void>;
    }

    interface MediaServer extends EventEmitter {
      readonly address: string;
      readonly conn: EslConnection | null;
      readonly maxSessions: number;
      readonly currentSessions: number;
      connected(): boolean;
      api(command: string): Promise<string>;
      createEndpoint(opts?: EndpointOptions): Promise<Endpoint>;
      disconnect(): void;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: Srf, opts?: { customEvents?: string[] });
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }

  export = Mrf;
}
