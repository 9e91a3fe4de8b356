import { afterEach, describe, expect, it } from 'vitest';
import { classes, Message, methods, parseMessage } from 'werift';
import { silentLogger } from '../../../src/log.js';
import { until } from '../../support/until.js';
import { IceAgent } from '../../../src/media/bridge/ice-agent.js';
import { candidatePriority, hostCandidate, pairPriority, usableRemoteCandidate } from '../../../src/media/bridge/ice-candidates.js';
import type { TransportAddress } from '../../../src/media/bridge/types.js';

const REMOTE = { ufrag: 'brdg', pwd: 'bridgepasswordbridgepw' };
const agents: IceAgent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.close();
});

interface Sent {
  data: Buffer;
  to: TransportAddress;
}

function makeAgent(timings: ConstructorParameters<typeof IceAgent>[0]['timings'] = {}): { agent: IceAgent; sent: Sent[] } {
  const sent: Sent[] = [];
  const agent = new IceAgent({
    localCandidate: hostCandidate('127.0.0.1', 40000),
    family: 4,
    send: (data, to) => sent.push({ data, to }),
    logger: silentLogger(),
    timings: { pacingMs: 5, check: { initialRtoMs: 20, maxRtoMs: 40, maxSends: 2 }, ...timings },
  });
  agents.push(agent);
  return { agent, sent };
}

function candidate(ip: string, port: number, priority: number, protocol = 'udp', component = 1) {
  return { foundation: String(port), component, protocol, priority, ip, port, type: 'host' };
}

/** What an ICE-lite peer with REMOTE credentials makes of a request; undefined if unauthenticated. */
function asPeerSees(data: Buffer) {
  const m = parseMessage(data, Buffer.from(REMOTE.pwd));
  if (m === undefined) return undefined;
  return {
    message: m,
    username: m.getAttributeValue('USERNAME') as string,
    useCandidate: m.attributesKeys.includes('USE-CANDIDATE'),
    controlling: m.attributesKeys.includes('ICE-CONTROLLING'),
    priority: m.getAttributeValue('PRIORITY') as number,
  };
}

function answer(agent: IceAgent, request: Sent, key = REMOTE.pwd): void {
  const m = parseMessage(request.data)!;
  const response = new Message(methods.BINDING, classes.RESPONSE, m.transactionId)
    .setAttribute('XOR-MAPPED-ADDRESS', ['127.0.0.1', 40000])
    .addMessageIntegrity(Buffer.from(key))
    .addFingerprint();
  agent.handleStun(response.bytes, request.to);
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ICE candidates', () => {
  it('computes RFC 8445 priorities', () => {
    expect(candidatePriority('host')).toBe(2130706431);
    expect(candidatePriority('srflx')).toBe(1694498815);
    expect(pairPriority(10, 20)).toBe((10n << 32n) + 40n);
    expect(pairPriority(20, 10)).toBe((10n << 32n) + 41n);
  });

  it('keeps only UDP, component-1 candidates of the socket family', () => {
    expect(usableRemoteCandidate(candidate('10.0.0.1', 10000, 5), 4)).toMatchObject({ host: '10.0.0.1', port: 10000 });
    expect(usableRemoteCandidate(candidate('10.0.0.1', 10000, 5, 'TCP'), 4)).toBeUndefined();
    expect(usableRemoteCandidate(candidate('10.0.0.1', 10000, 5, 'udp', 2), 4)).toBeUndefined();
    expect(usableRemoteCandidate(candidate('::1', 10000, 5), 4)).toBeUndefined();
    expect(usableRemoteCandidate(candidate('abc.local', 10000, 5), 4)).toBeUndefined();
    expect(usableRemoteCandidate(candidate('10.0.0.1', 0, 5), 4)).toBeUndefined();
  });
});

describe('IceAgent (controlling, toward an ICE-lite peer)', () => {
  it('checks pairs in priority order with controlling, authenticated requests', async () => {
    const { agent, sent } = makeAgent();
    agent.start(REMOTE, [candidate('127.0.0.1', 50001, 100), candidate('127.0.0.1', 50002, 2000)]);
    // Paced 5 ms apart: wait for both rather than for a time a busy machine may not keep.
    await until(() => sent.length >= 2, 2000, 'two checks');
    const firstTwo = sent.slice(0, 2);
    expect(firstTwo.map((s) => s.to.port)).toEqual([50002, 50001]);
    for (const s of firstTwo) {
      const seen = asPeerSees(s.data);
      expect(seen?.username).toBe(`${REMOTE.ufrag}:${agent.localUfrag}`);
      expect(seen?.controlling).toBe(true);
      expect(seen?.useCandidate).toBe(false);
      expect(seen?.priority).toBe(candidatePriority('prflx'));
    }
  });

  it('nominates the first pair that answers and selects it once the nomination is answered', async () => {
    const { agent, sent } = makeAgent();
    const selected: TransportAddress[] = [];
    agent.on('selected', (r) => selected.push(r));
    agent.start(REMOTE, [candidate('127.0.0.1', 50001, 100)]);
    await tick(1);
    answer(agent, sent[0]!);
    const nomination = sent[1]!;
    expect(asPeerSees(nomination.data)?.useCandidate).toBe(true);
    expect(selected).toHaveLength(0);
    answer(agent, nomination);
    expect(selected).toEqual([{ host: '127.0.0.1', port: 50001 }]);
    expect(agent.isSelectedSource('127.0.0.1', 50001)).toBe(true);
    expect(agent.isSelectedSource('127.0.0.1', 50002)).toBe(false);
  });

  it('ignores answers that fail MESSAGE-INTEGRITY or come from elsewhere', async () => {
    const { agent, sent } = makeAgent();
    agent.start(REMOTE, [candidate('127.0.0.1', 50001, 100)]);
    await tick(1);
    answer(agent, sent[0]!, 'not-the-right-password-x');
    const m = parseMessage(sent[0]!.data)!;
    const good = new Message(methods.BINDING, classes.RESPONSE, m.transactionId)
      .setAttribute('XOR-MAPPED-ADDRESS', ['127.0.0.1', 40000])
      .addMessageIntegrity(Buffer.from(REMOTE.pwd))
      .addFingerprint();
    agent.handleStun(good.bytes, { host: '127.0.0.1', port: 59999 });
    // Neither counted as success: no nomination request went out.
    expect(sent.filter((s) => asPeerSees(s.data)?.useCandidate)).toHaveLength(0);
  });

  it('retransmits unanswered checks and nominates the pair that answers', async () => {
    const { agent, sent } = makeAgent({ check: { initialRtoMs: 20, maxRtoMs: 1000, maxSends: 4 } });
    const selected: TransportAddress[] = [];
    agent.on('selected', (r) => selected.push(r));
    agent.start(REMOTE, [candidate('127.0.0.1', 50001, 2000), candidate('127.0.0.1', 50002, 100)]);
    // The RTO is 20 ms; a busy machine fires it later, so wait for the retransmission itself.
    await until(() => sent.filter((s) => s.to.port === 50001).length >= 2, 2000, 'a retransmitted check');
    const toDead = sent.filter((s) => s.to.port === 50001);
    expect(toDead.length).toBeGreaterThanOrEqual(2); // first send + retransmission(s)
    expect(parseMessage(toDead[1]!.data)?.transactionIdHex).toBe(parseMessage(toDead[0]!.data)?.transactionIdHex);
    answer(agent, sent.filter((s) => s.to.port === 50002).at(-1)!);
    const nomination = sent.at(-1)!;
    expect(nomination.to.port).toBe(50002);
    answer(agent, nomination);
    expect(selected).toEqual([{ host: '127.0.0.1', port: 50002 }]);
  });

  it('fails with ice-timeout when nothing answers in time', async () => {
    const { agent } = makeAgent({ connectTimeoutMs: 60 });
    const failed = agent.waitFor('failed', 1000);
    agent.start(REMOTE, [candidate('127.0.0.1', 50001, 100)]);
    const [error] = await failed;
    expect(error.reason).toBe('ice-timeout');
    expect(error.message).toContain('127.0.0.1:50001');
  });

  it('answers checks signed with its credentials and learns the peer-reflexive source', async () => {
    const { agent, sent } = makeAgent();
    agent.start(REMOTE, []);
    const request = new Message(methods.BINDING, classes.REQUEST)
      .setAttribute('USERNAME', `${agent.localUfrag}:${REMOTE.ufrag}`)
      .setAttribute('PRIORITY', 1234)
      .setAttribute('ICE-CONTROLLED', 5n)
      .addMessageIntegrity(Buffer.from(agent.localPwd))
      .addFingerprint();
    agent.handleStun(request.bytes, { host: '127.0.0.1', port: 50007 });
    const response = parseMessage(sent[0]!.data, Buffer.from(agent.localPwd));
    expect(response?.messageClass).toBe(classes.RESPONSE);
    expect(response?.getAttributeValue('XOR-MAPPED-ADDRESS')).toEqual(['127.0.0.1', 50007]);
    await tick(10);
    // A triggered check goes back to the learned address.
    expect(sent.slice(1).some((s) => s.to.port === 50007 && asPeerSees(s.data)?.controlling)).toBe(true);
  });

  it('keeps the controlling role (487) and ignores checks with wrong credentials', () => {
    const { agent, sent } = makeAgent();
    agent.start(REMOTE, []);
    const controlling = new Message(methods.BINDING, classes.REQUEST)
      .setAttribute('USERNAME', `${agent.localUfrag}:${REMOTE.ufrag}`)
      .setAttribute('ICE-CONTROLLING', 5n)
      .addMessageIntegrity(Buffer.from(agent.localPwd))
      .addFingerprint();
    agent.handleStun(controlling.bytes, { host: '127.0.0.1', port: 50008 });
    const error = parseMessage(sent[0]!.data, Buffer.from(agent.localPwd));
    expect(error?.messageClass).toBe(classes.ERROR);
    expect((error?.getAttributeValue('ERROR-CODE') as [number, string])[0]).toBe(487);

    const forged = new Message(methods.BINDING, classes.REQUEST)
      .setAttribute('USERNAME', `${agent.localUfrag}:${REMOTE.ufrag}`)
      .addMessageIntegrity(Buffer.from('some-other-password-123'))
      .addFingerprint();
    agent.handleStun(forged.bytes, { host: '127.0.0.1', port: 50009 });
    expect(sent).toHaveLength(1);
  });

  it('changes local credentials on restart and ignores answers to the old generation', async () => {
    const { agent, sent } = makeAgent();
    const selected: TransportAddress[] = [];
    agent.on('selected', (r) => selected.push(r));
    agent.start(REMOTE, [candidate('127.0.0.1', 50001, 100)]);
    await tick(1);
    const oldCheck = sent[0]!;
    const oldUfrag = agent.localUfrag;
    agent.restart({ ufrag: 'new1', pwd: 'newpasswordnewpassword' }, [candidate('127.0.0.1', 50001, 100)]);
    expect(agent.localUfrag).not.toBe(oldUfrag);
    answer(agent, oldCheck);
    await tick(1);
    expect(selected).toHaveLength(0);
    const newCheck = sent.at(-1)!;
    expect(parseMessage(newCheck.data)?.getAttributeValue('USERNAME')).toBe(`new1:${agent.localUfrag}`);
  });
});
