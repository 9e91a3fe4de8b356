import type { SrfIncomingRequest } from '../srf-types.js';

/**
 * What "silently dropped" means with drachtio: the app simply never answers. drachtio-server has
 * already sent 100 Trying to an INVITE (so a UDP sender stops retransmitting and waits), absorbs
 * retransmissions, and forgets the request on its own after 64 s (its pending-request timer);
 * nothing is ever sent back. A flood source learns nothing and spends its own resources waiting.
 *
 * drachtio-srf (5.0.x) however keeps every incoming INVITE in a per-connection map until the app
 * sends a final response or a CANCEL arrives; an INVITE we never answer would stay there for
 * good, one entry per Call-ID the flooder invents. This removes that entry, the only state srf
 * holds for an unanswered request. Reaching into srf here is deliberate and confined to this one
 * function; if srf changes its shape, the drop still happens and only this cleanup is skipped.
 */
export function dropUnanswered(req: SrfIncomingRequest): void {
  if (req.method !== 'INVITE') return;
  const internals = req as unknown as SrfRequestInternals;
  const pending = internals.agent?.mapServer?.get(internals.socket)?.pendingNetworkInvites;
  const callId = req.get('Call-ID');
  if (pending instanceof Map && callId !== undefined) pending.delete(callId);
}

/** The fields of srf's Request that lead to its record of unanswered INVITEs. */
interface SrfRequestInternals {
  agent?: { mapServer?: Map<unknown, { pendingNetworkInvites?: unknown }> };
  socket?: unknown;
}

