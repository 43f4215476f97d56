import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '@tandem/core';
import { checkJsonShape } from './json-shape.js';

const limits = { maxJsonDepth: 3, maxJsonContainers: 5 };
const check = (text: string) => () => checkJsonShape(Buffer.from(text), limits);

describe('checkJsonShape', () => {
  it('lets JSON within both limits through', () => {
    expect(check('[[[1]]]')).not.toThrow();
    expect(check('{"a":{"b":[1,2,3]},"c":[]}')).not.toThrow();
    expect(check('"just a string"')).not.toThrow();
  });

  it('refuses nesting one level deeper than maxJsonDepth, naming the option', () => {
    expect(check('[[[[1]]]]')).toThrow(MalformedRequestError);
    expect(check('{"a":{"a":{"a":{"a":1}}}}')).toThrow(/maxJsonDepth/);
  });

  it('counts objects and arrays over the whole body, not only at once', () => {
    expect(check('[[],[],[],[]]')).not.toThrow();
    expect(check('[[],[],[],[],[]]')).toThrow(/maxJsonContainers/);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(check('["[[[[[[", "\\"[[[[[[", "{{{{"]')).not.toThrow();
    expect(check('{"k\\\\":"[[[[["}')).not.toThrow();
  });

  it('counts brackets after a string that ends in an escaped backslash', () => {
    expect(check('["\\\\",[[[1]]]]')).toThrow(/maxJsonDepth/);
  });
});
