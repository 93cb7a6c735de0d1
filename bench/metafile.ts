import type { Metafile } from 'esbuild';

/**
 * What an input path of the metafile belongs to: its npm package (the innermost `node_modules`
 * entry, with scope), else the project folder (`shared/engine`, `functions`).
 */
export const ownerOf = (input: string): string => {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at >= 0) {
    const parts = input.slice(at + marker.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? input);
  }
  const parts = input.split('/');
  if (parts.length <= 1) return '(entry)';
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
};

/** Output bytes per owner (package or project folder), largest first. */
export const bytesByOwner = (metafile: Metafile): Array<{ owner: string; bytes: number }> => {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const owner = ownerOf(input);
      totals.set(owner, (totals.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()].map(([owner, bytes]) => ({ owner, bytes })).sort((a, b) => b.bytes - a.bytes);
};

/** Owners whose output bytes grew from `baseline` to `subject`, largest growth first. */
export const growthOverBaseline = (
  subject: Metafile,
  baseline: Metafile,
): Array<{ owner: string; bytes: number }> => {
  const base = new Map(bytesByOwner(baseline).map((o) => [o.owner, o.bytes]));
  return bytesByOwner(subject)
    .map(({ owner, bytes }) => ({ owner, bytes: bytes - (base.get(owner) ?? 0) }))
    .filter((o) => o.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
};
