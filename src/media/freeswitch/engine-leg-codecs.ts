/**
 * Which codec FreeSWITCH and the media engine speak between them, given what FreeSWITCH agreed
 * with the phone. The aim is one transcoding at most: a codec the engine implements cheaply
 * (G.711, G.722) passes through FreeSWITCH untouched; anything else (Opus, G.729, AMR, GSM, …)
 * FreeSWITCH decodes once into L16 at the phone's bandwidth, and the engine has nothing to decode.
 * Fallbacks follow, for a FreeSWITCH whose codec list lacks L16 (the stock drachtio image's default
 * list is OPUS, G722, PCMU, PCMA): G.722 for a wideband phone, then PCMU, which every FreeSWITCH has.
 */
import sdpTransform from 'sdp-transform';
import type { CallerCodecName } from '../caller/sdp-types.js';

const PASS_THROUGH: Readonly<Record<string, CallerCodecName>> = { PCMU: 'PCMU', PCMA: 'PCMA', G722: 'G722' };

/** The phone's codec as FreeSWITCH's SDP toward the phone states it (the first payload type). */
export function phoneCodecOf(fsSdp: string): { name: string; rate: number } | undefined {
  let parsed: sdpTransform.SessionDescription;
  try {
    parsed = sdpTransform.parse(fsSdp);
  } catch {
    return undefined;
  }
  const audio = parsed.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (audio === undefined) return undefined;
  const first = Number(String(audio.payloads ?? '').trim().split(/\s+/)[0]);
  if (!Number.isInteger(first)) return undefined;
  const rtp = audio.rtp.find((r) => r.payload === first);
  // String(): sdp-transform turns an all-digit encoding name into a number.
  if (rtp !== undefined) return { name: String(rtp.codec).toUpperCase(), rate: rtp.rate ?? 8000 };
  // Static payload types FreeSWITCH may leave without an rtpmap.
  const statics: Record<number, { name: string; rate: number }> = { 0: { name: 'PCMU', rate: 8000 }, 8: { name: 'PCMA', rate: 8000 }, 9: { name: 'G722', rate: 8000 }, 18: { name: 'G729', rate: 8000 }, 3: { name: 'GSM', rate: 8000 } };
  return statics[first];
}

/** The codecs to offer FreeSWITCH on the engine leg, best first. */
export function engineLegCodecs(fsSdpTowardPhone: string): CallerCodecName[] {
  const phone = phoneCodecOf(fsSdpTowardPhone);
  if (phone === undefined) return ['PCMU'];
  const same = PASS_THROUGH[phone.name];
  if (same !== undefined) return same === 'PCMU' ? ['PCMU'] : [same, 'PCMU'];
  // Opus's RTP clock is always 48000 whatever it carries; treat it as wideband.
  const wideband = phone.name === 'OPUS' || phone.rate >= 16000;
  return wideband ? ['L16-16k', 'G722', 'PCMU'] : ['L16', 'PCMU'];
}
