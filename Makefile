# The two entry points of a fresh machine: `make demo` and `make test`.
.PHONY: demo test check bench venv clean

demo:
	hacking/demo.sh

test:
	hacking/test.sh

# The fast unit tests only (no playbook, no ansible-test), for the edit-test loop: under a minute.
check:
	"$$(hacking/venv.sh oldest)"/bin/python -m pytest -q -n 2 tests/unit

bench:
	hacking/bench.sh

venv:
	hacking/venv.sh oldest >/dev/null

clean:
	rm -rf .venv .venv-newest .venv-tools .venv-demo .venv-eda build collections tests/output
