import { isNonPublicAddress, resolveDeliveryAddress, webhookUrlProblem } from '../../src/events/url-safety';

const strict = { allowPrivate: false };

describe('webhook URLs an admin may save', () => {
  test.each([
    ['https://hooks.example.com/scim', null],
    ['https://hooks.example.com:8443/a?b=c', null],
    ['http://hooks.example.com/', 'url must use https'],
    ['ftp://hooks.example.com/', 'url must use https'],
    ['https://user:pw@hooks.example.com/', 'url must not contain credentials'],
    ['https://hooks.example.com/#x', 'url must not contain a fragment'],
    ['https://127.0.0.1/', 'url must not name a loopback, link-local or private address'],
    ['https://10.1.2.3/', 'url must not name a loopback, link-local or private address'],
    ['https://169.254.169.254/latest/meta-data', 'url must not name a loopback, link-local or private address'],
    ['https://192.168.0.10/', 'url must not name a loopback, link-local or private address'],
    ['https://172.20.0.1/', 'url must not name a loopback, link-local or private address'],
    ['https://[::1]/', 'url must not name a loopback, link-local or private address'],
    ['https://[fd00::1]/', 'url must not name a loopback, link-local or private address'],
    ['https://[::ffff:127.0.0.1]/', 'url must not name a loopback, link-local or private address'],
    ['https://0.0.0.0/', 'url must not name a loopback, link-local or private address'],
    ['https://localhost/', 'url must name a public host'],
    ['https://db.internal/', 'url must name a public host'],
    ['not a url', 'url is not a valid absolute URL'],
    ['', 'url is required'],
  ])('%s -> %s', (url, problem) => {
    expect(webhookUrlProblem(url, strict)).toBe(problem);
  });

  test('development mode allows plain http to a local receiver', () => {
    expect(webhookUrlProblem('http://127.0.0.1:9999/hook', { allowPrivate: true })).toBeNull();
    expect(webhookUrlProblem('https://u:p@127.0.0.1/', { allowPrivate: true })).toBe('url must not contain credentials');
  });

  test('a public address is public', () => {
    expect(isNonPublicAddress('93.184.216.34')).toBe(false);
    expect(isNonPublicAddress('2606:2800:220:1:248:1893:25c8:1946')).toBe(false);
  });
});

describe('the address a delivery connects to', () => {
  const url = new URL('https://hooks.example.com/x');

  test('a name resolving to a private address is refused at delivery time (rebinding)', async () => {
    const out = await resolveDeliveryAddress(url, { allowPrivate: false, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(out).toEqual({ problem: 'hooks.example.com resolves to a loopback, link-local or private address' });
  });

  test('one private address among public ones is enough to refuse', async () => {
    const out = await resolveDeliveryAddress(url, {
      allowPrivate: false,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ],
    });
    expect(out).toEqual({ problem: 'hooks.example.com resolves to a loopback, link-local or private address' });
  });

  test('a public answer is used as the address to connect to', async () => {
    const out = await resolveDeliveryAddress(url, { allowPrivate: false, resolve: async () => [{ address: '93.184.216.34', family: 4 }] });
    expect(out).toEqual({ address: '93.184.216.34', family: 4 });
  });

  test('a name that does not resolve is a problem, not a crash', async () => {
    const out = await resolveDeliveryAddress(url, {
      allowPrivate: false,
      resolve: async () => {
        throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      },
    });
    expect(out).toEqual({ problem: 'could not resolve hooks.example.com: ENOTFOUND' });
  });
});
