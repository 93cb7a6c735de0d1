import { describe, expect, it } from '@jest/globals';
import type { Metafile } from 'esbuild';
import { bytesByOwner, growthOverBaseline, ownerOf } from '../../bench/metafile';
import { interleave, median, percentile, ratio, summarize } from '../../bench/stats';

/** A metafile with one output holding the given inputs and their output bytes. */
const metafile = (inputs: Record<string, number>): Metafile => ({
  inputs: {},
  outputs: {
    'out.mjs': {
      bytes: 0,
      imports: [],
      exports: [],
      inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { bytesInOutput: v }])),
    },
    'out.mjs.map': { bytes: 0, imports: [], exports: [], inputs: {} },
  },
});

describe('bench/stats', () => {
  describe('percentile', () => {
    it('returns the nearest-rank sample, never an interpolated value', () => {
      const values = [5, 1, 4, 2, 3];
      expect(percentile(values, 50)).toBe(3);
      expect(percentile(values, 99)).toBe(5);
      expect(percentile(values, 0)).toBe(1);
      expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    });

    it('picks the 99th of 100 samples and does not reorder the input', () => {
      const values = Array.from({ length: 100 }, (_, i) => 100 - i);
      expect(percentile(values, 99)).toBe(99);
      expect(values[0]).toBe(100);
    });

    it('throws for no samples and for a percentile outside 0..100', () => {
      expect(() => percentile([], 50)).toThrow('no samples');
      expect(() => percentile([1], 101)).toThrow('outside');
    });
  });

  describe('median and summarize', () => {
    it('gives the lower middle of an even count and p50/p99 with the count', () => {
      expect(median([4, 1, 3, 2])).toBe(2);
      expect(summarize([1, 2, 3, 4, 100])).toEqual({ n: 5, p50: 3, p99: 100 });
    });
  });

  describe('ratio', () => {
    it('returns NaN for a baseline that is not positive, so it cannot pass a budget', () => {
      expect(ratio(3, 2)).toBe(1.5);
      expect(ratio(3, 0)).toBeNaN();
      expect(ratio(3, 0) <= 1.3).toBe(false);
    });
  });

  describe('interleave', () => {
    it('alternates which side runs first each round', async () => {
      const order: string[] = [];
      const out = await interleave(
        3,
        async (r) => {
          order.push(`s${r}`);
          return r;
        },
        async (r) => {
          order.push(`b${r}`);
          return r * 10;
        },
      );
      expect(order).toEqual(['s0', 'b0', 'b1', 's1', 's2', 'b2']);
      expect(out).toEqual({ subject: [0, 1, 2], baseline: [0, 10, 20] });
    });
  });
});

describe('bench/metafile', () => {
  describe('ownerOf', () => {
    it('names scoped and unscoped packages, the innermost node_modules, and project folders', () => {
      expect(ownerOf('node_modules/@aws-sdk/client-sns/dist-es/index.js')).toBe('@aws-sdk/client-sns');
      expect(ownerOf('node_modules/zod/v4/core/schemas.js')).toBe('zod');
      expect(ownerOf('node_modules/a/node_modules/@smithy/core/dist/x.js')).toBe('@smithy/core');
      expect(ownerOf('shared/engine/issue.ts')).toBe('shared/engine');
      expect(ownerOf('functions/capillary-v2.ts')).toBe('functions');
      expect(ownerOf('<stdin>')).toBe('(entry)');
    });
  });

  describe('growthOverBaseline', () => {
    it('lists only owners that grew, largest first, summed over their files', () => {
      const subject = metafile({
        'node_modules/zod/a.js': 300,
        'node_modules/zod/b.js': 200,
        'node_modules/@aws-sdk/client-sns/x.js': 100,
        'node_modules/@smithy/core/y.js': 50,
        'shared/engine/issue.ts': 80,
      });
      const baseline = metafile({
        'node_modules/@aws-sdk/client-sns/x.js': 60,
        'node_modules/@smithy/core/y.js': 70,
      });
      expect(bytesByOwner(subject)[0]).toEqual({ owner: 'zod', bytes: 500 });
      expect(growthOverBaseline(subject, baseline)).toEqual([
        { owner: 'zod', bytes: 500 },
        { owner: 'shared/engine', bytes: 80 },
        { owner: '@aws-sdk/client-sns', bytes: 40 },
      ]);
    });
  });
});
