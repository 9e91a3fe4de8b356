/**
 * SDES-SRTP offers through drachtio-fsmrf. Its createEndpoint() refuses every offer whose audio
 * m-line matches /SAVP/, taking any of them for DTLS-SRTP (which needs its connectCaller() flow),
 * and FreeSWITCH 1.10 refuses SDES keys on an RTP/AVP line ("a=crypto in RTP/AVP"). The profile
 * name is matched case-sensitively by fsmrf and case-insensitively by FreeSWITCH's SDP parser
 * (sofia-sip's su_casematch), so an SDES offer (a=crypto, no DTLS fingerprint) reaches FreeSWITCH
 * as `RTP/savp`: the same profile to FreeSWITCH, which answers RTP/SAVP and does the SRTP.
 */

const SAVP_LINE = /^(m=audio \d+(?:\/\d+)? RTP\/)SAVP(F?)( )/m;

/** Whether this offer is SDES on RTP/SAVP(F): keys in a=crypto, no DTLS fingerprint. */
export function isSdesSavpOffer(sdp: string): boolean {
  return SAVP_LINE.test(sdp) && /^a=crypto:/m.test(sdp) && !/^a=fingerprint:/m.test(sdp);
}

/** The phone's offer as fsmrf hands it to FreeSWITCH; offers other than SDES ones unchanged. */
export function offerForFreeswitch(sdp: string): string {
  return isSdesSavpOffer(sdp) ? sdp.replace(SAVP_LINE, (_m, head: string, f: string, sp: string) => `${head}savp${f.toLowerCase()}${sp}`) : sdp;
}
