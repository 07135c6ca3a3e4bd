// Reads the articles folder and parses it: the loader at the edge, the pure
// parser inside.
import type { CorpusOptions, Corpus } from '../parse/corpus.ts';
import { assembleCorpus, parseInput } from '../parse/corpus.ts';
import { listSources, loadSources, type SourceRef } from './load.ts';

export async function readCorpus(
  dir: string,
  options: CorpusOptions,
  firstSeen: (ref: SourceRef) => string,
): Promise<Corpus> {
  const refs = await listSources(dir);
  const inputs = await loadSources(refs, options.maxSourceBytes, firstSeen);
  return assembleCorpus(inputs.map((input) => parseInput(input, options)));
}
