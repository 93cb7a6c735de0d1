import { globSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';

interface Project {
  displayName: string;
  testMatch: string[];
  globalSetup?: string;
}

const ROOT = process.cwd();
const { projects } = (await import(pathToFileURL(join(ROOT, 'jest.config.js')).href)).default as {
  projects: Project[];
};
const matches = (project: Project, file: string): boolean =>
  project.testMatch.some((glob) => matchesGlob(file, glob.replace('<rootDir>/', '')));

describe('jest projects', () => {
  it.each(globSync('test/**/*.test.ts', { cwd: ROOT }).sort())('%s runs in exactly one project', (file) => {
    expect(projects.filter((p) => matches(p, file)).map((p) => p.displayName)).toHaveLength(1);
  });

  it('starts DynamoDB Local (and needs Java) only for the dynamodb project', () => {
    expect(projects.map((p) => [p.displayName, p.globalSetup !== undefined])).toEqual([
      ['unit', false],
      ['infra', false],
      ['dynamodb', true],
    ]);
  });
});
