# cnnlab: the two commands of the README, plus their parts.
#   make demo   install what is missing, build, train LeNet-5 on Fashion-MNIST (runs/demo-lenet5)
#   make test   install what is missing, build, run every test
#   make bench  build, then time cnnlab against PyTorch side by side (writes bench/RESULTS.md)
# Parts: make setup | build | sanitize (Debug + ASan/UBSan build running unit and gradcheck tests)

JOBS ?= $(shell nproc)
DEMO_EPOCHS ?= 5
DEMO_OUT ?= runs/demo-lenet5

.PHONY: all setup build test demo bench sanitize clean

all: build

setup:
	@tools/setup.sh

build: setup
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

test: build
	ctest --preset release -j $(JOBS)

demo: build
	rm -rf $(DEMO_OUT)
	./build/release/cnnlab train --model lenet5 --data fashion-mnist --epochs $(DEMO_EPOCHS) \
	  --lr 0.02 --momentum 0.9 --schedule cosine:$(DEMO_EPOCHS) --out $(DEMO_OUT)

bench: build
	tools/setup.sh --with-bench
	bench/run_bench.sh

sanitize: setup
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS)

clean:
	rm -rf build
