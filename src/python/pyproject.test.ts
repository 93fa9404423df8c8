import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { parsePyProject } from './pyproject.js';

test('parsePyProject reads PEP 621 dependencies, extras as markers, and PEP 735 groups with includes', () => {
  const project = parsePyProject([
    '[project]', 'name = "Model_Server"', 'version = "1.2.0"', 'requires-python = ">=3.10"',
    'dependencies = ["fastapi>=0.110", "uvloop ; sys_platform != \'win32\'"]',
    '[project.optional-dependencies]', 'GPU = ["torch>=2 ; platform_machine == \'x86_64\'"]',
    '[dependency-groups]', 'test = ["pytest>=8"]', 'dev = [{include-group = "test"}, "ruff"]',
  ].join('\n'), 'pyproject.toml');
  assert.equal(project.name, 'Model_Server');
  assert.equal(project.requiresPython, '>=3.10');
  assert.deepEqual(project.extras, ['gpu']);
  assert.deepEqual(project.groups, ['main', 'test', 'dev']);
  assert.deepEqual(project.roots, [
    { name: 'fastapi', extras: [], specifier: '>=0.110', group: 'main' },
    { name: 'uvloop', extras: [], specifier: '', marker: "sys_platform != 'win32'", group: 'main' },
    { name: 'torch', extras: [], specifier: '>=2', marker: `(platform_machine == 'x86_64') and (extra == "gpu")`, group: 'main' },
    { name: 'pytest', extras: [], specifier: '>=8', group: 'test' },
    { name: 'pytest', extras: [], specifier: '>=8', group: 'dev' },
    { name: 'ruff', extras: [], specifier: '', group: 'dev' },
  ]);
});

test('parsePyProject reads [tool.poetry] constraints, python and platform restrictions, optional extras and groups', () => {
  const project = parsePyProject([
    '[tool.poetry]', 'name = "server"', 'version = "0.1.0"',
    '[tool.poetry.dependencies]', 'python = "^3.9"', 'Requests = "^2.31"',
    'torch = {version = "^2.2", optional = true}', 'unused = {version = "*", optional = true}',
    'tomli = {version = ">=1", python = "<3.11", platform = "linux"}',
    '[tool.poetry.extras]', 'gpu = ["torch"]',
    '[tool.poetry.dev-dependencies]', 'pytest = "^8"',
  ].join('\n'), 'pyproject.toml');
  assert.equal(project.requiresPython, '>=3.9,<4');
  assert.deepEqual(project.groups, ['main', 'dev']);
  assert.deepEqual(project.roots, [
    { name: 'requests', extras: [], specifier: '>=2.31,<3', group: 'main' },
    { name: 'torch', extras: [], specifier: '>=2.2,<3', marker: 'extra == "gpu"', group: 'main' },
    { name: 'tomli', extras: [], specifier: '>=1', marker: '(python_version < "3.11") and (sys_platform == "linux")', group: 'main' },
    { name: 'pytest', extras: [], specifier: '>=8,<9', group: 'dev' },
  ]);
});

test('parsePyProject reports bad input with the file', () => {
  assert.throws(() => parsePyProject('[project]\ndependencies = ["fastapi >>= 1"]\n', 'srv/pyproject.toml'),
    (error: unknown) => error instanceof InputError && error.oneLine().startsWith('srv/pyproject.toml: invalid requirement'));
  assert.throws(() => parsePyProject('[project\n', 'srv/pyproject.toml'),
    (error: unknown) => error instanceof InputError && error.oneLine().startsWith('srv/pyproject.toml:1:'));
});
