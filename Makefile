# The two entry points of a fresh machine: `make demo` and `make test`.
.PHONY: demo test bench venv clean

demo:
	hacking/demo.sh

test:
	hacking/test.sh

bench:
	hacking/bench.sh

venv:
	hacking/venv.sh oldest >/dev/null

clean:
	rm -rf .venv .venv-newest .venv-tools .venv-demo .venv-eda build tests/output
