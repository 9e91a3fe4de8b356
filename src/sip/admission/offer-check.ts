import sdpTransform from 'sdp-transform';
import { answerCallerOffer, SdpNegotiationError } from '../../media/caller/sdp-negotiation.js';
import { SDES_KEY_LENGTH, type CallerSrtpPolicy } from '../../media/caller/sdes.js';
import type { CallerCodecName } from '../../media/caller/sdp-types.js';
import { SipRejection } from '../errors.js';
import { mediaType, warningHeader } from '../sip-headers.js';
import type { SrfIncomingRequest } from '../srf-types.js';

/** Throws SdpNegotiationError (488) when an offer is malformed or shares no codec with us. */
export type OfferCheck = (offer: string) => void;

/**
 * The default check: negotiate against the codecs the media engine supports and CALLER_SRTP,
 * with a placeholder local address and key (only the verdict is kept). In FreeSWITCH mode, where
 * the media server accepts more codecs, SipApp can be given a different check.
 */
export function codecOfferCheck(codecs?: readonly CallerCodecName[], srtp: CallerSrtpPolicy = 'off'): OfferCheck {
  const placeholderKey = Buffer.alloc(SDES_KEY_LENGTH);
  return (offer) => {
    answerCallerOffer(offer, {
      address: '127.0.0.1',
      port: 9,
      sessionId: '0',
      sessionVersion: 0,
      ...(codecs ? { codecs } : {}),
      ...(srtp !== 'off' ? { srtp: { policy: srtp, key: placeholderKey } } : {}),
    });
  };
}

/**
 * The check for FreeSWITCH mode: FreeSWITCH knows more codecs and SDES-SRTP suites, so only the
 * shape is checked here (and refused what drachtio-fsmrf cannot hand to FreeSWITCH: DTLS-SRTP
 * offers), plus CALLER_SRTP: an RTP/SAVP offer when it is off, an offer without a=crypto when it
 * is required. FreeSWITCH's own 488 for a codec it lacks reaches the caller as 488 later.
 */
export function structuralOfferCheck(srtp: CallerSrtpPolicy = 'optional'): OfferCheck {
  return (offer) => {
    if (!/^v=0\r?$/m.test(offer)) throw new SdpNegotiationError('malformed SDP: no v=0 line');
    let sdp: sdpTransform.SessionDescription;
    try {
      sdp = sdpTransform.parse(offer);
    } catch (err) {
      throw new SdpNegotiationError(`malformed SDP: ${(err as Error).message}`);
    }
    const audio = sdp.media.find((m) => m.type === 'audio' && m.port !== 0);
    if (audio === undefined) throw new SdpNegotiationError('no active audio stream in SDP');
    if (!/^RTP\/S?AVPF?$/.test(audio.protocol)) {
      throw new SdpNegotiationError(`unsupported audio transport '${audio.protocol}' (RTP/AVP or RTP/SAVP expected)`);
    }
    if (srtp === 'off' && audio.protocol.startsWith('RTP/SAVP')) {
      throw new SdpNegotiationError(`unsupported audio transport '${audio.protocol}' (SRTP is off here: plain RTP/AVP expected)`);
    }
    if (srtp === 'required' && (audio.crypto ?? []).length === 0) throw new SdpNegotiationError('SRTP is required: plain RTP refused');
    if (audio.connection === undefined && sdp.connection === undefined) throw new SdpNegotiationError('malformed SDP: no c= line');
    if (String(audio.payloads ?? '').trim() === '') throw new SdpNegotiationError('malformed SDP: no payload types');
  };
}

export type OfferVerdict = { offer: string | undefined } | SipRejection;

/**
 * Finds the SDP offer of an INVITE (its body, or the application/sdp part of a multipart body
 * as some trunks send with ISUP) and checks it. No body at all is a late offer, which is fine.
 */
export function readAndCheckOffer(req: SrfIncomingRequest, check: OfferCheck, warnAgent: string): OfferVerdict {
  const body = req.body ?? '';
  if (body.trim() === '') return { offer: undefined };
  const type = mediaType(req.get('Content-Type'));
  let offer: string | undefined;
  if (type === 'application/sdp' || (type === '' && body.startsWith('v=0'))) {
    offer = body;
  } else if (type.startsWith('multipart/')) {
    const part = (req.payload ?? []).find((p) => mediaType(p.type ?? undefined) === 'application/sdp');
    offer = part?.content;
  }
  if (offer === undefined || offer.trim() === '') {
    return new SipRejection(415, `no application/sdp in a body of type '${type}'`, 'unsupported-body', {
      Accept: 'application/sdp',
    });
  }
  try {
    check(offer);
  } catch (err) {
    if (!(err instanceof SdpNegotiationError)) throw err;
    return new SipRejection(err.sipStatus, err.message, 'bad-sdp', { Warning: warningHeader(warnAgent, err.message) });
  }
  return { offer };
}
