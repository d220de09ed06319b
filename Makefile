# hailo_open.hailo — developer entry points. Both targets install what they need (run as root on Debian).
.PHONY: demo test bench bench-inference lint build sanity units molecule clean

demo:
	tests/harness/demo.sh

test:
	tests/harness/run-all.sh

bench:
	tests/bench/fleet-bench.sh

# The inference service's overhead over direct backend calls (docs/inference-service.md).
bench-inference:
	tests/harness/host-setup.sh && .venv/bin/python tests/bench/inference-bench.py

lint build sanity units molecule:
	tests/harness/run-all.sh $@

clean:
	rm -rf build .cache/*.log
