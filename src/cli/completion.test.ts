import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from './main.js';
import { BlobStore } from '../cache/blob-store.js';

async function script(shell: string): Promise<string> {
  let text = '';
  const stdout = new Writable({ write(chunk, _encoding, callback) { text += chunk; callback(); } });
  const code = await main(['completion', shell], { stdout, stderr: stdout, env: {}, cwd: '/', version: '9.9.9', cache: () => new BlobStore('/nonexistent') });
  assert.equal(code, 0, text);
  return text;
}

// zsh completes only in an interactive shell with its line editor: this drives one on a pseudo-terminal (zpty), types
// the words and a TAB, and prints every match the completion functions offer (compadd wrapped to report them).
const ZSH_COMPLETE = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PROMPT=; RPROMPT=; autoload -U compinit; compinit -u -D'
zpty -w z "source \${1}"
zpty -w z 'compadd () { local -a __h; builtin compadd -O __h "$@"; (( $#__h )) && print -r -- "HITS""{" \${(j:|:)__h} "}""END"; builtin compadd "$@" }'
zpty -w -n z "\${2}"$'\\t'
local out line
integer i=0
while (( i++ < 500 )); do
  if zpty -r -t z line; then out+=$line; [[ $out == *"}END"* ]] && break; else sleep 0.02; fi
done
print -r -- $out
zpty -d z
`;

function zshComplete(file: string, line: string): string[] {
  const out = execFileSync('zsh', ['-f', '-c', ZSH_COMPLETE, 'zsh-complete', file, line], { encoding: 'utf8', timeout: 20_000 });
  return [...out.matchAll(/HITS\{ (.*?) \}END/g)].flatMap((match) => match[1]!.split('|'));
}

function fishComplete(file: string, line: string): string[] {
  const out = execFileSync('fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -C ${JSON.stringify(line)}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((candidate) => candidate.split('\t')[0]!);
}

// Runs the bash completion function as bash would for the words typed, and returns COMPREPLY.
function bashComplete(file: string, words: string[]): string[] {
  const program = `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kiln_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['--norc', '-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

test('kiln completion bash completes commands, options, option values and subcommands', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'kiln-completion-')), 'kiln.bash');
  await writeFile(file, await script('bash'));
  const commands = bashComplete(file, ['kiln', '']);
  for (const name of ['build', 'plan', 'inspect', 'completion']) assert.ok(commands.includes(name), `${name} in ${commands.join(' ')}`);
  assert.deepEqual(bashComplete(file, ['kiln', 'b']), ['build']);
  const options = bashComplete(file, ['kiln', 'plan', '--']);
  for (const option of ['--json', '--set', '--only', '--no-resolve', '--help']) assert.ok(options.includes(option), `${option} in ${options.join(' ')}`);
  assert.deepEqual(bashComplete(file, ['kiln', 'build', '--backend', 'b']), ['buildah']);
  assert.deepEqual(bashComplete(file, ['kiln', 'scan', '--format', '']), ['table', 'json', 'sarif', 'cyclonedx']);
  assert.deepEqual(bashComplete(file, ['kiln', 'source', 'b']), ['bump']);
  assert.deepEqual(bashComplete(file, ['kiln', 'completion', '']), ['bash', 'zsh', 'fish']);
  // After an option that takes a value, bash's default (file names) completes: no option words are offered.
  assert.deepEqual(bashComplete(file, ['kiln', 'plan', '-f', '']), []);
});

test('kiln completion zsh and fish: every command and option is in the script; each shell completes with it', async () => {
  const zsh = await script('zsh');
  assert.match(zsh, /^#compdef kiln\n/);
  assert.match(zsh, /^ {4}'build:build the images described by DIR\/kiln\.yaml \(--push to publish\)'$/m);
  assert.match(zsh, /^ {4}plan\)\n {6}_arguments -s '--file=\[the manifest to read \(default DIR\/kiln\.yaml\)\]:FILE:_files'/m);
  assert.match(zsh, /'--backend=\[what builds the entries\]:VALUE:\(native docker buildah kaniko\)'/);
  assert.match(zsh, /'\*--set=\[/);
  assert.match(zsh, /^ {2}compdef _kiln kiln$/m);
  execFileSync('zsh', ['-n', '-c', zsh]);
  const zshFile = join(await mkdtemp(join(tmpdir(), 'kiln-completion-')), '_kiln');
  await writeFile(zshFile, zsh);
  assert.deepEqual(zshComplete(zshFile, 'kiln b'), ['build']);
  assert.deepEqual(zshComplete(zshFile, 'kiln build --backend b'), ['buildah']);
  assert.deepEqual(zshComplete(zshFile, 'kiln scan --format '), ['table', 'json', 'sarif', 'cyclonedx']);
  assert.deepEqual(zshComplete(zshFile, 'kiln source b'), ['bump']);
  assert.deepEqual(zshComplete(zshFile, 'kiln plan --js'), ['--json']);
  const fish = await script('fish');
  assert.match(fish, /^complete -c kiln -n __fish_use_subcommand -a 'inspect' -d 'an image\\'s config, layers \(sizes, what each holds\) and packages'$/m);
  assert.match(fish, /^complete -c kiln -n '__fish_seen_subcommand_from plan' -l json -d 'print the result as JSON'$/m);
  assert.match(fish, /^complete -c kiln -n '__fish_seen_subcommand_from build' -l backend -x -a 'native docker buildah kaniko' -d 'what builds the entries'$/m);
  assert.match(fish, /^complete -c kiln -n '__fish_seen_subcommand_from source; and not __fish_seen_subcommand_from sync bump checkout refresh' -a 'sync bump checkout refresh'$/m);
  execFileSync('fish', ['--no-execute', '-c', fish]);
  const fishFile = join(await mkdtemp(join(tmpdir(), 'kiln-completion-')), 'kiln.fish');
  await writeFile(fishFile, fish);
  assert.deepEqual(fishComplete(fishFile, 'kiln b'), ['build']);
  assert.deepEqual(fishComplete(fishFile, 'kiln build --backend b'), ['buildah']);
  assert.deepEqual(fishComplete(fishFile, 'kiln scan --format ').sort(), ['cyclonedx', 'json', 'sarif', 'table'], 'fish sorts what it offers');
  assert.deepEqual(fishComplete(fishFile, 'kiln source b'), ['bump']);
  assert.deepEqual(fishComplete(fishFile, 'kiln plan --js'), ['--json']);
  // Every line of the fish script is a complete command with balanced quotes (what fish would reject otherwise).
  for (const line of fish.split('\n').filter((text) => text && !text.startsWith('#'))) {
    assert.match(line, /^complete -c kiln /);
    assert.equal(line.replace(/\\'/g, '').split("'").length % 2, 1, line);
  }
  const bad = await main(['completion', 'tcsh'], { stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr: new Writable({ write: (_c, _e, cb) => cb() }), env: {}, cwd: '/', version: '9.9.9', cache: () => new BlobStore('/nonexistent') });
  assert.equal(bad, 2);
});
