import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const key = { REFSYNC_SECRET_KEY: 'unit-test-secret-0123456789' };
const postgres = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', ...key };

describe('where the sandbox CRMs mount', () => {
  it.each([
    ['embedded on the default loopback HOST', {}, true],
    ['embedded on localhost', { HOST: 'localhost' }, true],
    ['embedded on ::1', { HOST: '::1' }, true],
    ['embedded on 0.0.0.0', { HOST: '0.0.0.0' }, false],
    ['embedded on a LAN address', { HOST: '192.168.1.20' }, false],
    ['on PostgreSQL, even on loopback', postgres, false],
    ['when turned off on loopback', { REFSYNC_SANDBOX: '0' }, false],
  ])('%s: mounted %s by default', (_label, env, mounted) => {
    const config = loadConfig(env);
    expect(config.sandbox).toBe(mounted);
    expect(config.sandboxWarning).toBeUndefined();
  });

  it('mounts them on a non-loopback HOST or PostgreSQL when asked, with a warning naming why', () => {
    const wide = loadConfig({ HOST: '0.0.0.0', REFSYNC_SANDBOX: '1' });
    expect(wide.sandbox).toBe(true);
    expect(wide.sandboxWarning).toContain('HOST 0.0.0.0 is not a loopback address');
    expect(wide.sandboxWarning).toContain('NO authentication');
    const shared = loadConfig({ ...postgres, REFSYNC_SANDBOX: '1' });
    expect(shared.sandbox).toBe(true);
    expect(shared.sandboxWarning).toContain('PostgreSQL (DATABASE_URL)');
    expect(loadConfig({ REFSYNC_SANDBOX: '1' }).sandboxWarning).toBeUndefined();
  });
});

describe('trusted proxies', () => {
  it('trusts no proxy unless named', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ REFSYNC_TRUST_PROXY: ' 10.0.0.0/8, 127.0.0.1 ,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
    ]);
  });

  it.each(['true', 'proxy.example.com', '10.0.0.0/33', '10.0.0.1/8/2'])(
    'refuses %s, naming the variable',
    (value) => {
      expect(() => loadConfig({ REFSYNC_TRUST_PROXY: value })).toThrow(
        /REFSYNC_TRUST_PROXY: .*IP addresses or CIDR/,
      );
    },
  );
});

describe('the secret key', () => {
  it('is required with DATABASE_URL, and the message says how to make one', () => {
    const attempt = () => loadConfig({ DATABASE_URL: postgres.DATABASE_URL });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/REFSYNC_SECRET_KEY is required with DATABASE_URL.*randomBytes/s);
    expect(loadConfig(postgres).secretKey).toBe(key.REFSYNC_SECRET_KEY);
  });

  it('may be left out when embedded', () => {
    expect(loadConfig({}).secretKey).toBeUndefined();
  });
});

describe('REFSYNC_PAYOUT_BASE_URLS', () => {
  it('lists the base URLs payout settings may use besides the real services, without trailing slashes', () => {
    expect(loadConfig({}).payoutBaseUrls).toEqual([]);
    const config = loadConfig({
      REFSYNC_PAYOUT_BASE_URLS: 'http://127.0.0.1:3100/, http://127.0.0.1:3100/sandbox/tremendous/api/v2',
    });
    expect(config.payoutBaseUrls).toEqual([
      'http://127.0.0.1:3100',
      'http://127.0.0.1:3100/sandbox/tremendous/api/v2',
    ]);
  });

  it('refuses what is not an http(s) base URL, naming it', () => {
    expect(() => loadConfig({ REFSYNC_PAYOUT_BASE_URLS: 'ftp://payments.example' })).toThrow(
      /ftp:\/\/payments\.example is not an http\(s\) base URL/,
    );
  });
});
