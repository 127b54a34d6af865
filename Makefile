# cnnlab: the two commands of the README, plus their parts.
#   make demo   install what is missing, build, train LeNet-5 on Fashion-MNIST
#   make test   install what is missing, build, run every test
# Parts: make setup | build | sanitize (Debug + ASan/UBSan build running unit and gradcheck tests)

JOBS ?= $(shell nproc)
DEMO_DATA ?= /usr/share/datasets/fashion-mnist

.PHONY: all setup build test demo sanitize clean

all: build

setup:
	@tools/setup.sh

build: setup
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

test: build
	ctest --preset release -j $(JOBS)

demo: build
	./build/release/examples/hello_lenet $(DEMO_DATA)

sanitize: setup
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS)

clean:
	rm -rf build
