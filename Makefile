# The two commands of the README promise: `make demo` and `make test`.
MVN := mvn -B --no-transfer-progress -Dstyle.color=never

.PHONY: build dist test unit-test integration-test demo clean

build:
	$(MVN) -q install -DskipTests

## The Debian package and the relocatable tarball (dist/target), each with its own Java runtime,
## and rpull's container image, pushed to the test registry (left running: testenv/down stops it).
## dist/image pushes it to a real registry (docs/kubernetes.md).
dist: build
	testenv/install
	dist/build
	eval "$$(testenv/up 2)" && dist/image "$$RPULL_REGISTRY/rpull/rpull" "$$RPULL_IMAGE_BASE@$$RPULL_IMAGE_BASE_DIGEST" --allow-http
	@echo "dist: packages in dist/target; the test environment stays up for the image (testenv/down stops it)"

## All unit tests (Java, and the benchmark's row checks), then the integration tests against the real test environment, once with
## containerd 2.x and once with containerd 1.6. Installs whatever the environment needs.
test:
	testenv/install
	$(MVN) install
	python3 -m unittest discover -s bench -p 'test_*.py'
	dist/build
	testenv/integration-tests 2 1.6

unit-test:
	$(MVN) install
	python3 -m unittest discover -s bench -p 'test_*.py'

integration-test: build
	dist/build
	testenv/integration-tests 2 1.6

## Brings the test environment up, pulls the overlaybd image with rpull, shows what containerd
## now holds, brings it down.
demo:
	testenv/install
	$(MVN) -q install -DskipTests
	testenv/demo

clean:
	$(MVN) -q clean
	rm -rf dist/target dist/image-builder/target
	testenv/down
