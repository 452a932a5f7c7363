"""Check what an AWX / Automation Controller execution environment needs, short of building it.

Building the image needs a container registry, so this proves the parts that can be proven here:
  * meta/execution-environment.yml (read by ansible-builder from the installed collection) is
    valid and its Python requirements file exists;
  * every third-party Python module that the collection's controller-side code imports (every
    plugin type except modules, plus the module_utils those plugins import) is declared there;
  * the documented definition (docs/execution-environment.yml) is a version 3 definition that
    installs this collection.
Usage: python scripts/ee_check.py   (in the toolchain venv; scripts/docs runs it)
"""

import ast
import importlib.metadata
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "ansible_collections.mailroom.server."
# Imported by plugins but provided by every execution environment's ansible-core.
PROVIDED = {"ansible", "ansible_collections", "__future__", "jinja2", "yaml"}


def load_yaml(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_requirements(path):
    names = set()
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(canonical(re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0]))
    return names


def imports_of(path):
    """Top-level third-party names and collection-internal module paths imported by a file."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    external, internal = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.startswith(PREFIX):
                internal.add(name[len(PREFIX):])
            else:
                external.add(name.split(".")[0])
    return external, internal


def internal_file(dotted):
    """The file of a collection-internal module path, or None (a name imported from a module)."""
    base = os.path.join(ROOT, *dotted.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.exists(candidate):
            return candidate
    return None


def controller_imports():
    """Third-party top-level imports of controller-side code, with the file importing each."""
    pending = []
    plugins = os.path.join(ROOT, "plugins")
    for kind in sorted(os.listdir(plugins)):
        if kind in ("modules", "module_utils") or not os.path.isdir(os.path.join(plugins, kind)):
            continue
        for directory, _subdirs, files in os.walk(os.path.join(plugins, kind)):
            pending += [os.path.join(directory, name) for name in files if name.endswith(".py")]
    seen, found = set(), {}
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        external, internal = imports_of(path)
        for name in external - PROVIDED - set(sys.stdlib_module_names):
            found.setdefault(name, os.path.relpath(path, ROOT))
        for dotted in internal:
            # "from pkg.module import name" names a module; "from pkg import module" is followed
            # through the package's own file or the submodule's.
            target = internal_file(dotted) or internal_file(dotted.rsplit(".", 1)[0])
            if target:
                pending.append(target)
    return found


def main():
    errors = []
    meta = load_yaml("meta/execution-environment.yml")
    if not isinstance(meta, dict) or meta.get("version") != 1:
        errors.append("meta/execution-environment.yml: needs version: 1")
        meta = {}
    python_file = (meta.get("dependencies") or {}).get("python")
    declared = set()
    if not python_file or not os.path.exists(os.path.join(ROOT, python_file)):
        errors.append("meta/execution-environment.yml: dependencies.python must name a file of the collection")
    else:
        declared = declared_requirements(python_file)

    distributions = importlib.metadata.packages_distributions()
    for name, path in sorted(controller_imports().items()):
        dists = {canonical(dist) for dist in distributions.get(name, [name])}
        if not dists & declared:
            errors.append(f"{path} imports {name} ({', '.join(sorted(dists))}), not declared in {python_file}")

    definition = load_yaml("docs/execution-environment.yml")
    if not isinstance(definition, dict) or definition.get("version") != 3:
        errors.append("docs/execution-environment.yml: needs version: 3")
        definition = {}
    if not ((definition.get("images") or {}).get("base_image") or {}).get("name"):
        errors.append("docs/execution-environment.yml: needs images.base_image.name")
    galaxy = (definition.get("dependencies") or {}).get("galaxy") or {}
    collections = galaxy.get("collections", []) if isinstance(galaxy, dict) else []
    if not any("mailroom-server" in str(item.get("name", "")) or item.get("name") == "mailroom.server"
               for item in collections if isinstance(item, dict)):
        errors.append("docs/execution-environment.yml: dependencies.galaxy does not install mailroom.server")

    for error in errors:
        print(f"ee-check: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"ee-check: definitions valid; controller-side imports declared in {python_file}")


if __name__ == "__main__":
    main()
