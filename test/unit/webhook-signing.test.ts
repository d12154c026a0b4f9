import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sign, signatureHeader, signingSecrets } from '../../src/events/webhook-signing';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('webhook signatures (Standard Webhooks)', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'user.created', data: { name: 'Zoë ✓' } });

  it('verifies with the official standardwebhooks package', () => {
    const secret = newSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([secret], 'evt_1', ts, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('matches the package signature byte for byte', () => {
    const secret = newSecret();
    const at = new Date(1_700_000_000_000);
    expect(sign(secret, 'evt_abc', 1_700_000_000, body)).toBe(new Webhook(secret).sign('evt_abc', at, body));
  });

  it('lets a receiver holding either secret verify during a rotation', () => {
    const [oldS, newS] = [newSecret(), newSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const sig = signatureHeader([newS, oldS], 'evt_2', ts, body);
    expect(sig.split(' ')).toHaveLength(2);
    for (const s of [oldS, newS]) expect(() => new Webhook(s).verify(body, { 'webhook-id': 'evt_2', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).not.toThrow();
    expect(() => new Webhook(newSecret()).verify(body, { 'webhook-id': 'evt_2', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).toThrow('No matching signature');
  });

  it('fails verification when the body, id or timestamp was changed', () => {
    const secret = newSecret();
    const ts = Math.floor(Date.now() / 1000);
    const sig = signatureHeader([secret], 'evt_3', ts, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(`${body} `, { 'webhook-id': 'evt_3', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).toThrow();
    expect(() => wh.verify(body, { 'webhook-id': 'evt_4', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).toThrow();
    expect(() => wh.verify(body, { 'webhook-id': 'evt_3', 'webhook-timestamp': String(ts + 1), 'webhook-signature': sig })).toThrow();
  });

  it('signs with the current secret and rotated-out ones until their overlap ends, newest first', () => {
    const now = new Date('2025-01-10T12:00:00Z');
    const secrets = [
      { secret: 'whsec_b2xk', createdAt: new Date('2025-01-01T00:00:00Z'), expiresAt: new Date('2025-01-11T00:00:00Z') },
      { secret: 'whsec_ZXhwaXJlZA==', createdAt: new Date('2024-12-01T00:00:00Z'), expiresAt: new Date('2025-01-10T12:00:00Z') },
      { secret: 'whsec_bmV3', createdAt: new Date('2025-01-10T00:00:00Z'), expiresAt: null },
    ];
    expect(signingSecrets(secrets, now)).toEqual(['whsec_bmV3', 'whsec_b2xk']);
    expect(signingSecrets(secrets, new Date('2025-01-11T00:00:00Z'))).toEqual(['whsec_bmV3']);
  });
});
