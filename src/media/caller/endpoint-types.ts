/** Options, events and statistics of CallerEndpoint. */
import type { Logger } from '../../log.js';
import type { CallerRtcpStats } from './caller-rtcp.js';
import type { OpusCodecOptions } from '../codecs/opus.js';
import type { PortAllocator } from '../port-allocator.js';
import type { DigitSource } from './digit-sources.js';
import type { SymmetricRtpLatch } from './latch.js';
import type { PromptSource } from './prompt-player.js';
import type { CallerSrtpPolicy, SdesSuite } from './sdes.js';
import type { ReceiverCounters, ReceiverJitterOptions } from './rtp-receiver.js';
import type { SenderCounters } from './rtp-sender.js';
import type { TransportDrops } from './rtp-transport.js';
import type { CallerCodecName, CallerMediaParams, MediaDirection } from './sdp-types.js';

export interface CallerEndpointOptions {
  /** Local address to bind (127.0.0.1 in tests; 0.0.0.0 needs `announcedAddress`). */
  bindAddress: string;
  /** Address written in our SDP (MEDIA_ADDRESS); the bind address when absent. */
  announcedAddress?: string;
  portAllocator: PortAllocator;
  logger?: Logger;
  /** Silence from the caller after which 'mediaTimeout' fires; 0 disables. Default 30 s. */
  mediaTimeoutMs?: number;
  /** Latch rule 4 (see latch.ts). Default 1.5 s. */
  relatchAfterSilenceMs?: number;
  /** Codecs we accept, in our preference order for our own offers. */
  codecs?: readonly CallerCodecName[];
  /** CALLER_SRTP: SDES-SRTP on this endpoint's RTP (default 'off'). */
  srtp?: CallerSrtpPolicy;
  /**
   * CALLER_RTCP: 'on' (default) reports with the phone over rtcp-mux when it offers that, else
   * over a second port (RTP + 1 when free); 'mux' only over rtcp-mux (no second port); 'off'.
   */
  rtcp?: CallerRtcpMode;
  /** Nominal interval between our reports (default 5 s, randomised ±50%). */
  rtcpIntervalMs?: number;
  /** Needed for play()/playAndCollect(). */
  prompts?: PromptSource;
  jitter?: ReceiverJitterOptions;
  opus?: Omit<OpusCodecOptions, 'sampleRate'>;
}

export type CallerEndpointEvents = {
  /** One key press, once, from RFC 4733 or (pushDigit) SIP INFO. */
  dtmf: [digit: string, source: DigitSource];
  /** No RTP from the caller for mediaTimeoutMs (only watched while the call is sendrecv). */
  mediaTimeout: [];
  /** RTP arrives again after a 'mediaTimeout'. */
  mediaResumed: [];
  /** We now send to this source of the caller's RTP (first packet, NAT rebinding, move). */
  latched: [address: string, port: number];
};

export type CallerRtcpMode = 'on' | 'mux' | 'off';

export interface CallerEndpointStats {
  codec: CallerCodecName | undefined;
  payloadType: number | undefined;
  sampleRate: number;
  direction: MediaDirection | undefined;
  localPort: number;
  /** Where we send now ("address:port"). */
  sendingTo: string | undefined;
  latchedTo: string | undefined;
  latchCount: number;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  packetsLost: number;
  jitterMs: number;
  dtmfIn: number;
  dtmfPacketsOut: number;
  ssrcChanges: number;
  concealedFrames: number;
  decodeErrors: number;
  /** Frames not sent because of hold or no destination. */
  suppressedFrames: number;
  mediaTimedOut: boolean;
  /** The SRTP suite in use; undefined on plain RTP. */
  srtp: SdesSuite | undefined;
  /** RTCP with the phone: our reports, theirs, and what theirs told (round trip, their loss of our stream); undefined without RTCP. */
  rtcp: CallerRtcpStats | undefined;
  dropped: TransportDrops & { staleSsrc: number };
}

export const DEFAULT_MEDIA_TIMEOUT_MS = 30_000;

/** What stats() is assembled from. */
export interface StatsSources {
  params: CallerMediaParams | undefined;
  sampleRate: number;
  localPort: number;
  receiver: ReceiverCounters | undefined;
  sender: Readonly<SenderCounters> | undefined;
  latch: SymmetricRtpLatch;
  drops: Readonly<TransportDrops>;
  srtp: SdesSuite | undefined;
  rtcp: CallerRtcpStats | undefined;
  mediaTimedOut: boolean;
}

export function collectStats(s: StatsSources): CallerEndpointStats {
  const rx = s.receiver;
  const tx = s.sender;
  const target = s.latch.targetAddress;
  return {
    codec: s.params?.codec.name,
    payloadType: s.params?.codec.payloadType,
    sampleRate: s.sampleRate,
    direction: s.params?.direction,
    localPort: s.localPort,
    sendingTo: target === undefined ? undefined : `${target}:${s.latch.targetPort}`,
    latchedTo: s.latch.latchedTo,
    latchCount: s.latch.latchCount,
    packetsIn: rx?.packets ?? 0,
    bytesIn: rx?.bytes ?? 0,
    packetsOut: tx?.packets ?? 0,
    bytesOut: tx?.bytes ?? 0,
    packetsLost: rx?.lost ?? 0,
    jitterMs: rx?.jitterMs ?? 0,
    dtmfIn: rx?.digits ?? 0,
    dtmfPacketsOut: tx?.dtmfPackets ?? 0,
    ssrcChanges: rx?.ssrcChanges ?? 0,
    concealedFrames: rx?.concealed ?? 0,
    decodeErrors: rx?.decodeErrors ?? 0,
    suppressedFrames: tx?.suppressed ?? 0,
    mediaTimedOut: s.mediaTimedOut,
    srtp: s.srtp,
    rtcp: s.rtcp,
    dropped: { ...s.drops, staleSsrc: rx?.staleSsrc ?? 0 },
  };
}
