import { describe, expect, it } from 'vitest';
import { isBot } from './guards.ts';
import { withCode } from './links.ts';
import { insideWindow } from './public-api.ts';

describe('isBot', () => {
  it('counts browsers and leaves out crawlers, unfurlers, scripts and headless browsers', () => {
    for (const agent of [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
      'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    ]) {
      expect(isBot(agent), agent).toBe(false);
    }
    for (const agent of [
      undefined,
      '',
      'Googlebot/2.1 (+http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'WhatsApp/2.23.20.0',
      'facebookexternalhit/1.1',
      'TelegramBot (like TwitterBot)',
      'curl/8.5.0',
      'python-requests/2.31.0',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36',
    ]) {
      expect(isBot(agent), String(agent)).toBe(true);
    }
  });
});

describe('insideWindow', () => {
  const now = Date.UTC(2026, 5, 1);
  const daysAgo = (days: number) => Math.floor((now - days * 86400_000) / 1000);
  it('counts a visit inside the window, not one after it, nor one from the far future', () => {
    expect(insideWindow(undefined, 30, now)).toBe(true);
    expect(insideWindow(daysAgo(29), 30, now)).toBe(true);
    expect(insideWindow(daysAgo(30), 30, now)).toBe(true);
    expect(insideWindow(daysAgo(31), 30, now)).toBe(false);
    expect(insideWindow(daysAgo(89), 90, now)).toBe(true);
    expect(insideWindow(daysAgo(-2), 30, now)).toBe(false);
  });
});

describe('withCode', () => {
  it('adds ref, keeping other parameters and the fragment, and replacing an older ref', () => {
    expect(withCode('https://shop.example/welcome?utm_source=x#plans', 'AB12')).toBe(
      'https://shop.example/welcome?utm_source=x&ref=AB12#plans',
    );
    expect(withCode('https://shop.example/?ref=OLD', 'NEW')).toBe('https://shop.example/?ref=NEW');
  });
});
