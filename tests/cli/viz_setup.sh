# Shared by the `cnnlab viz` test scripts (source it after setting CNNLAB, HERE and failures=0,
# inside the scratch folder): the expect.sh helpers, is_png FILE, and a LeNet-5 run in ./run
# trained for one epoch on 512 Fashion-MNIST images (64 test images), the scripts' subject.
source "$HERE/expect.sh"

DATA=/usr/share/datasets/fashion-mnist
[ -d "$DATA" ] || { echo "Fashion-MNIST missing: run tools/setup.sh"; exit 1; }

# is_png FILE: the file starts with the PNG signature
is_png() { [ "$(od -A n -t x1 -N 8 "$1" | tr -d ' ')" = "89504e470d0a1a0a" ]; }

"$CNNLAB" train --model lenet5 --data "$DATA" --train-limit 512 --test-limit 64 --batch-size 64 \
  --epochs 1 --threads 1 --progress none --out run > train.log 2>&1 ||
  { echo "FAIL: training the test run failed: $(cat train.log)"; exit 1; }
