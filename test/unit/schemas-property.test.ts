import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/errors.js';
import { Environment, ImageTag, TagPath } from '../../functions/core/schemas.js';
import { type HttpEvent, parsePath } from '../../functions/lib/http.js';

const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(''));
const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TAG_FIRST = `${LOWER_DIGITS}ABCDEFGHIJKLMNOPQRSTUVWXYZ_`;
const TAG_REST = `${TAG_FIRST}.-`;

/** Environment names built from the contract's grammar. */
const environment = fc
  .tuple(chars(LOWER_DIGITS), fc.string({ unit: chars(`${LOWER_DIGITS}-`), maxLength: 30 }), chars(LOWER_DIGITS))
  .map(([first, middle, last]) => `${first}${middle}${last}`);
const tag = fc
  .tuple(chars(TAG_FIRST), fc.string({ unit: chars(TAG_REST), maxLength: 127 }))
  .map(([first, rest]) => first + rest);

describe('environment parser', () => {
  it('accepts every name of the grammar, single characters included', () => {
    fc.assert(fc.property(fc.oneof(environment, chars(LOWER_DIGITS)), (name) => Environment.safeParse(name).success));
  });

  it('refuses names with a character outside [a-z0-9-]', () => {
    const bad = fc
      .tuple(
        environment,
        fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[a-z0-9-]/.test(c)),
        fc.nat(),
      )
      .map(([name, c, at]) => {
        const i = at % (name.length + 1);
        return name.slice(0, i) + c + name.slice(i);
      });
    fc.assert(fc.property(bad, (name) => !Environment.safeParse(name).success));
  });

  it('refuses a leading or trailing hyphen, the empty name and names over 32 characters', () => {
    fc.assert(
      fc.property(environment, (name) => {
        expect(Environment.safeParse(`-${name}`).success).toBe(false);
        expect(Environment.safeParse(`${name}-`).success).toBe(false);
      }),
    );
    expect(Environment.safeParse('').success).toBe(false);
    expect(Environment.safeParse('a'.repeat(32)).success).toBe(true);
    expect(Environment.safeParse('a'.repeat(33)).success).toBe(false);
  });
});

describe('image tag parser', () => {
  it('accepts every tag of Docker grammar up to 128 characters', () => {
    fc.assert(fc.property(tag, (t) => ImageTag.safeParse(t).success));
    expect(ImageTag.safeParse('a'.repeat(128)).success).toBe(true);
    expect(ImageTag.safeParse('a'.repeat(129)).success).toBe(false);
  });

  it('refuses a leading . or -, and any character outside the alphabet', () => {
    fc.assert(fc.property(tag, fc.constantFrom('.', '-'), (t, lead) => !ImageTag.safeParse(lead + t).success));
    fc.assert(
      fc.property(
        tag,
        fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[A-Za-z0-9_.-]/.test(c)),
        (t, c) => {
          return !ImageTag.safeParse(t + c).success;
        },
      ),
    );
  });

  it('turns any path value into either a tag or a 400 naming imageTag, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (value) => {
        const event = { pathParameters: { imageTag: value } } as unknown as HttpEvent;
        try {
          expect(parsePath(event, TagPath).imageTag).toBe(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError);
          expect((error as InvalidInputError).errors[0]?.field).toBe('imageTag');
        }
      }),
    );
  });
});
