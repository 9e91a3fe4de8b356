/** Types shared by the engine's call media and the engine that owns the calls. */
import type { CallerEndpoint } from '../caller/caller-endpoint.js';
import type { UplinkCounters, UplinkOptions } from './bridge-uplink.js';
import type { EngineCallMedia } from './engine-call-media.js';
import type { RoomMedia } from './room-media.js';

/** The part of CallerEndpoint the engine uses (a fake can stand in for it in unit tests). */
export type CallerSide = Pick<
  CallerEndpoint,
  | 'answer'
  | 'offer'
  | 'acceptAnswer'
  | 'hasTelephoneEvent'
  | 'sampleRate'
  | 'pullFrame'
  | 'sendPcm'
  | 'sendDtmf'
  | 'play'
  | 'playAndCollect'
  | 'pushDigit'
  | 'stopPrompt'
  | 'stats'
  | 'close'
  | 'on'
  | 'off'
>;

/** What a call needs from the engine that owns it. */
export interface CallMediaHost {
  joinRoom(jid: string, call: EngineCallMedia): RoomMedia;
  leaveRoom(room: RoomMedia, call: EngineCallMedia): void;
  released(call: EngineCallMedia): void;
}

export interface EngineCallSettings {
  uplink: Omit<UplinkOptions, 'ssrc'>;
  bridgeMediaTimeoutMs: number;
  rtcpIntervalMs: number;
}

export interface EngineCallDetails {
  room: string | undefined;
  muted: boolean;
  uplink: UplinkCounters;
  bridgeDigits: number;
  malformedFromBridge: number;
  unknownPayloadFromBridge: number;
}
