"""Print, as JSON, the Debian packages the collection's roles install on a given release.

scripts/testhost installs them into the cached "-pkgs" test images, so Molecule scenarios start
from hosts that already have them (the roles' own apt tasks then find nothing to do).
Usage: python3 scripts/role_packages.py RELEASE   (12 or 13)

Read from the tasks of the roles playbooks/site.yml applies and of the roles they depend on (a
role outside site.yml installs its packages at converge: its daemons would otherwise start in
every test host): every apt/package task's names, literal or rendered from the
role's vars and defaults, and every debconf answer with a literal value, so packages configure
themselves in the image as the roles would have them. Templated debconf answers are left out
(they name the host, which an image does not know yet; the roles write those files themselves).
What cannot be worked out here is listed under "skipped": the roles install it at converge.
"""

import glob
import json
import os
import sys

import jinja2
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APT_MODULES = {"ansible.builtin.apt", "apt", "ansible.builtin.package", "package"}
DEBCONF_MODULES = {"ansible.builtin.debconf", "debconf"}
# Facts a converge computes from the host that decide package names; the search role picks its
# index backend by the Dovecot release each Debian ships.
HOST_FACTS = {
    "12": {"search_dovecot_dialect": "2.3"},
    "13": {"search_dovecot_dialect": "2.4"},
}


def load_yaml(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def tasks_in(items):
    """Every task, including those inside block/rescue/always."""
    for task in items or []:
        if not isinstance(task, dict):
            continue
        for section in ("block", "rescue", "always"):
            yield from tasks_in(task.get(section))
        yield task


def is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def as_list(value):
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return list(value)


def role_packages(role_dir, facts, env, found, skipped):
    context = {}
    context.update(load_yaml(os.path.join(role_dir, "defaults", "main.yml")))
    context.update(load_yaml(os.path.join(role_dir, "vars", "main.yml")))
    context.update(facts)
    role = os.path.basename(role_dir)
    for path in sorted(glob.glob(os.path.join(role_dir, "tasks", "**", "*.yml"), recursive=True)):
        for task in tasks_in(load_yaml(path) if path else []):
            for module, args in task.items():
                if module in APT_MODULES and isinstance(args, dict) and "name" in args:
                    if args.get("state", "present") not in ("present", "latest"):
                        continue
                    names = args["name"]
                    if is_template(names):
                        expression = names.strip()
                        try:
                            if not (expression.startswith("{{") and expression.endswith("}}")):
                                raise jinja2.TemplateError("not a single expression")
                            names = env.compile_expression(expression[2:-2].strip())(**context)
                        except jinja2.TemplateError as exc:
                            skipped.append(f"{role}: {task.get('name', module)}: {exc}")
                            continue
                    for name in as_list(names):
                        if is_template(name):
                            skipped.append(f"{role}: {name}")
                        else:
                            found["packages"].add(name)
                elif module in DEBCONF_MODULES and isinstance(args, dict):
                    for answer in debconf_answers(task, args):
                        if any(is_template(part) for part in answer):
                            skipped.append(f"{role}: debconf {answer[0]} {answer[1]}")
                        else:
                            found["debconf"].add(" ".join(answer))


def debconf_answers(task, args):
    """(package, question, type, value) for each answer, expanding a literal loop over items."""
    keys = ("name", "question", "vtype", "value")
    loop = task.get("loop", task.get("with_items"))
    if not isinstance(loop, list):
        return [tuple(str(args.get(key, "")) for key in keys)]
    answers = []
    for item in loop:
        answer = []
        for key in keys:
            value = str(args.get(key, ""))
            field = value.strip()[2:-2].strip() if is_template(value) else ""
            if field.startswith("item.") and isinstance(item, dict):
                value = str(item.get(field[len("item."):], value))
            answer.append(value)
        answers.append(tuple(answer))
    return answers


def role_name(entry):
    """A play's or a role's dependency entry ("mailroom.server.mta" or {role: ...}) as a role folder name."""
    name = entry.get("role", entry.get("name", "")) if isinstance(entry, dict) else entry
    return name.rsplit(".", 1)[-1]


def site_roles():
    """The roles playbooks/site.yml applies, with their dependencies."""
    pending = [role_name(entry) for play in load_yaml(os.path.join(ROOT, "playbooks", "site.yml")) or []
               for entry in play.get("roles", [])]
    found = set()
    while pending:
        role = pending.pop()
        if role in found:
            continue
        found.add(role)
        meta = load_yaml(os.path.join(ROOT, "roles", role, "meta", "main.yml"))
        pending.extend(role_name(entry) for entry in meta.get("dependencies") or [])
    return found


def main(argv):
    if len(argv) != 2 or argv[1] not in HOST_FACTS:
        sys.exit(f"usage: {argv[0]} {{{'|'.join(HOST_FACTS)}}}")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    found = {"packages": set(), "debconf": set()}
    skipped = []
    for role in sorted(site_roles()):
        role_packages(os.path.join(ROOT, "roles", role), HOST_FACTS[argv[1]], env, found, skipped)
    print(json.dumps({
        "packages": sorted(found["packages"]),
        "debconf": sorted(found["debconf"]),
        "skipped": skipped,
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv)
