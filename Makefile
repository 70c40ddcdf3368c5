# harborpy: `make run` serves the registry on the embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint bench messages clean

# The zh-hans catalog: what `make messages` runs, and what tests/harborpy/test_locale.py checks the
# committed catalog against (it reads this line). Locations by file only, so diffs stay quiet.
MAKEMESSAGES_ARGS := -l zh_Hans --add-location=file --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=data --ignore=docs --ignore=static

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# LDAP support is optional: python-ldap needs C headers (libldap2-dev libsasl2-dev) and a compiler.
	@$(BIN)/python -m pip install --quiet -e '.[dev,ldap]' >$(VENV)/ldap-install.log 2>&1 \
		|| echo "note: LDAP support not installed (python-ldap did not build: apt-get install libldap2-dev libsasl2-dev gcc; see $(VENV)/ldap-install.log); the LDAP tests will skip"
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py bootstrap
	@# Background work (audit purge, LDAP sync, ...) runs in a Celery worker with the beat scheduler
	@# embedded, stopped with the server; production runs them as their own services (README).
	$(BIN)/celery -A harborpy worker --beat --pool threads --concurrency 2 --loglevel warning & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn -c harborpy/gunicorn.conf.py harborpy.wsgi

test: $(VENV)/.installed
	$(BIN)/ruff check .
	@# projects/permissions.py alone decides access (STYLE.md section 4).
	@! grep -rn --include='*.py' -E 'has_perm\(|assign_perm\(|remove_perm\(' images audit replication harborpy \
	  || (echo "permission checks belong in projects/permissions.py" && false)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Regenerate locale/zh_Hans/LC_MESSAGES/django.po from the sources (new strings arrive with an
# empty msgstr: translate them, see /work/shared/GLOSSARY-zh.md), then compile django.mo, which is
# committed so that a checkout serves Chinese without gettext. Needs GNU gettext (apt-get install gettext).
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages $(MAKEMESSAGES_ARGS)
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) data .pytest_cache
