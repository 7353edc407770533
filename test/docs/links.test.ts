/**
 * The documentation stands alone in a clone: every relative link and image of README.md and
 * docs/*.md resolves to a file of the repository (and, with an anchor, to a heading in it), and
 * no page points outside the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/**
 * Texts no file may contain: references to material outside the repository. Spelled in pieces so
 * this file does not match itself should the scan widen to every tracked file.
 */
const FORBIDDEN = [
  ['..', 'shared'].join('/'),
  `/${'work'}/`,
  ['CLOUDFRONT', 'md'].join('.'),
  ['DESIGN', 'md'].join('.'),
  ['STYLE', 'md'].join('.'),
];
/** Where the forbidden texts are looked for: every tracked text file but the lock file. */
const SCANNED = (_path: string): boolean => true;

interface Link {
  page: string;
  line: number;
  target: string;
}

/** Markdown without fenced code blocks and inline code spans, line numbers kept. */
function proseOf(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line.replace(/`+[^`]*`+/g, '');
    })
    .join('\n');
}

/** Inline links and images `[text](target "title")`, `![alt](target)`, and reference definitions `[id]: target`. */
function linksOf(page: string): Link[] {
  const lines = proseOf(readFileSync(join(ROOT, page), 'utf8')).split('\n');
  const links: Link[] = [];
  lines.forEach((text, index) => {
    for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ page, line: index + 1, target: match[1] });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(text);
    if (definition !== null) links.push({ page, line: index + 1, target: definition[1] });
  });
  return links;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to `-`, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseOfHeadings(readFileSync(file, 'utf8'))) {
    const text = line
      .replace(/^#{1,6}\s+/, '')
      .replace(/\s+#+\s*$/, '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .trim();
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** ATX heading lines outside fenced code. */
function proseOfHeadings(markdown: string): string[] {
  let fenced = false;
  const headings: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && /^#{1,6}\s/.test(line)) headings.push(line);
  }
  return headings;
}

/** Why `link` is broken, or undefined when it resolves. */
function problemWith(link: Link): string | undefined {
  const [path, anchor] = link.target.split('#', 2) as [string, string | undefined];
  if (path.startsWith('/')) return 'is an absolute path; link relative to the page';
  let file: string;
  try {
    file = path === '' ? join(ROOT, link.page) : resolve(ROOT, dirname(link.page), decodeURIComponent(path));
  } catch {
    return 'is not a valid percent-encoded path';
  }
  if (relative(ROOT, file).startsWith(`..${sep}`) || relative(ROOT, file) === '..')
    return 'points outside the repository';
  if (!existsSync(file)) return `names ${relative(ROOT, file)}, which does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!statSync(file).isFile() || !file.endsWith('.md')) return undefined;
  return anchorsOf(file).has(anchor.toLowerCase())
    ? undefined
    : `has no heading for #${anchor} in ${relative(ROOT, file)}`;
}

describe.each(PAGES)('%s', (page) => {
  const links = linksOf(page).filter((link) => !isExternal(link.target));

  test('every relative link and image resolves to a file of the repository (and heading)', () => {
    const broken = links.flatMap((link) => {
      const problem = problemWith(link);
      return problem === undefined ? [] : [`${link.page}:${link.line} ${link.target} ${problem}`];
    });
    expect(broken).toEqual([]);
  });

  test('has links to check (the extractor is not vacuous)', () => {
    expect(linksOf(page).length).toBeGreaterThan(0);
  });
});

test('README links every page of docs/', () => {
  const linked = new Set(linksOf('README.md').map((link) => link.target.split('#')[0]));
  const missing = PAGES.filter((page) => page.startsWith('docs/') && !linked.has(page));
  expect(missing).toEqual([]);
});

test('no file in the repository names anything outside it (notes beside the checkout, machine paths, fact-sheet sections)', () => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path !== '' && path !== 'package-lock.json' && SCANNED(path) && existsSync(join(ROOT, path)));
  expect(files).toEqual(expect.arrayContaining(PAGES));
  const offences = files.flatMap((path) => {
    const content = readFileSync(join(ROOT, path));
    if (content.includes(0)) return []; // binary (the screenshot)
    const text = content.toString('utf8');
    const found = FORBIDDEN.filter((needle) => text.includes(needle));
    if (path.endsWith('.md') && text.includes('\u00a7')) found.push('\u00a7');
    return found.map((needle) => `${path}: ${needle}`);
  });
  expect(offences).toEqual([]);
});
