import { describe, expect, it } from 'vitest';
import { escapeLike } from './like.ts';

describe('escapeLike', () => {
  it.each([
    ['evil.example', 'evil.example'],
    ['evil.example\\', 'evil.example\\\\'],
    ['50%_off', '50\\%\\_off'],
    ['a\\%b', 'a\\\\\\%b'],
    ["' OR Name != '", "' OR Name != '"],
  ])('%j -> %j', (input, expected) => {
    expect(escapeLike(input)).toBe(expected);
  });
});
