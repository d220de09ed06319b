# hailo_open.hailo — developer entry points. Both targets install what they need (run as root on Debian).
.PHONY: demo test bench lint build sanity units molecule clean

demo:
	tests/harness/demo.sh

test:
	tests/harness/run-all.sh

bench:
	tests/bench/fleet-bench.sh

lint build sanity units molecule:
	tests/harness/run-all.sh $@

clean:
	rm -rf build .cache/*.log
