# The two commands of README.md. Each installs what it needs first.
.PHONY: demo test deps

deps:
	@scripts/install-deps.sh

demo: deps
	swift run -c release anomaly-detection

test: deps
	swift build --build-tests
	swift test --skip-build --no-parallel
