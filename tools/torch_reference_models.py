#!/usr/bin/python3
"""PyTorch twins of cnnlab's model zoo where torchvision has no exact equivalent.

Importable by the parity fixture generators (tests/parity/gen/) and by the benchmark:

    sys.path.insert(0, "tools"); import torch_reference_models as zoo
    model = zoo.make_model("resnet20", input_shape=(3, 32, 32), num_classes=10)

make_model() mirrors cnnlab's registry (src/models/registry.cpp): the same names, the same
small-input rule (an input below 64x64 selects the small-input variant), and the same parameter
names and shapes, so a state_dict moves between the two unchanged. Needs torch and torchvision
(Debian: python3-torch, python3-torchvision). Choices are explained in docs/models.md.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

# NOTE: torchvision is imported inside the functions that use it, so that the CIFAR ResNets (and a
# benchmark that measures memory) need only torch.

SMALL_INPUT_SIZE = 64  # inputs with H or W below this get the small-input variant

# ---- CIFAR ResNets (He et al. 2016, section 4.2) ------------------------------------------------


class CifarBasicBlock(nn.Module):
    """Two 3x3 convs; option A shortcut: x[:, :, ::2, ::2] with zero channels on both sides."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.pad = (planes - in_planes) // 2

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x
        if self.stride != 1:
            shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return self.relu(out + shortcut)


class CifarResNet(nn.Module):
    """resnet20/32/44/56/110: conv1 16 ch, three stages of n blocks (16/32/64 ch), avgpool, fc."""

    def __init__(self, depth=20, in_channels=3, num_classes=10):
        super().__init__()
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError("CifarResNet: depth must be 6n + 2, got %d" % depth)
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.in_planes = 16
        self.layer1 = self._stage(16, n, 1)
        self.layer2 = self._stage(32, n, 2)
        self.layer3 = self._stage(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        _init_like_torchvision_resnet(self)

    def _stage(self, planes, n, stride):
        blocks = []
        for i in range(n):
            blocks.append(CifarBasicBlock(self.in_planes, planes, stride if i == 0 else 1))
            self.in_planes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _init_like_torchvision_resnet(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


# ---- torchvision ResNets with cnnlab's stems ---------------------------------------------------


def resnet(depth, in_channels=3, num_classes=1000, small_input=False):
    """torchvision's resnet<depth>; small_input: conv1 3x3 stride 1 pad 1, maxpool Identity."""
    import torchvision

    model = getattr(torchvision.models, "resnet%d" % depth)(weights=None, num_classes=num_classes)
    if small_input or in_channels != 3:
        k, s, p = (3, 1, 1) if small_input else (7, 2, 3)
        model.conv1 = nn.Conv2d(in_channels, 64, k, stride=s, padding=p, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    if small_input:
        model.maxpool = nn.Identity()
    return model


# ---- VGG ----------------------------------------------------------------------------------------

VGG_CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"],
}


def vgg_features(depth, batch_norm, in_channels=3, small_input=False, input_size=(224, 224)):
    """torchvision's make_layers with in_channels; in the small variant a max pool that would
    take the map below 1x1 is an Identity, so later indices stay torchvision's."""
    layers, c = [], in_channels
    h, w = input_size
    for v in VGG_CONFIGS[depth]:
        if v == "M":
            if small_input and (h < 2 or w < 2):
                layers.append(nn.Identity())
            else:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                h, w = h // 2, w // 2
            continue
        layers.append(nn.Conv2d(c, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        c = v
    return nn.Sequential(*layers)


def vgg(depth, batch_norm=False, in_channels=3, num_classes=1000, small_input=False,
        input_size=(224, 224), dropout=0.5):
    """torchvision.models.VGG; small_input: AdaptiveAvgPool2d(1) and a 512-512-512-classes
    classifier at torchvision's indices 0/3/6."""
    import torchvision

    features = vgg_features(depth, batch_norm, in_channels, small_input, input_size)
    model = torchvision.models.VGG(features, num_classes=num_classes, init_weights=True,
                                   dropout=dropout)
    if small_input:
        model.avgpool = nn.AdaptiveAvgPool2d(1)
        model.classifier = nn.Sequential(
            nn.Linear(512, 512), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(512, 512), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(512, num_classes))
        for m in model.classifier:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)
    return model


# ---- AlexNet and GoogLeNet ----------------------------------------------------------------------

# conv widths: torchvision's (Krizhevsky 2014, "One weird trick") and the 2012 paper's single-GPU
ALEXNET_WIDTHS = {False: (64, 192, 384, 256, 256), True: (96, 256, 384, 384, 256)}


def alexnet(in_channels=3, num_classes=1000, small_input=False, lrn=False, dropout=0.5):
    """torchvision.models.AlexNet. lrn ("alexnet_lrn"): the 2012 paper's widths 96-256-384-384-256
    and LocalResponseNorm(5, 1e-4, 0.75, k=2) after the first two ReLUs, so the convs are
    features.0/4/8/10/12 (torchvision: 0/3/6/8/10). small_input: conv 0 is 3x3 stride 1 pad 1,
    the pools are MaxPool2d(3, 2, padding=1), avgpool AdaptiveAvgPool2d(2), and the classifier
    1024-1024-1024-classes at torchvision's indices. PyTorch's default init, as torchvision."""
    import torchvision

    model = torchvision.models.AlexNet(num_classes=num_classes, dropout=dropout)
    if not (small_input or lrn or in_channels != 3):
        return model
    w = ALEXNET_WIDTHS[lrn]
    k, s, p = (3, 1, 1) if small_input else (11, 4, 2)

    def pool():
        return nn.MaxPool2d(kernel_size=3, stride=2, padding=1 if small_input else 0)

    def norm():
        return [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] if lrn else []

    model.features = nn.Sequential(
        nn.Conv2d(in_channels, w[0], kernel_size=k, stride=s, padding=p), nn.ReLU(inplace=True),
        *norm(), pool(),
        nn.Conv2d(w[0], w[1], kernel_size=5, padding=2), nn.ReLU(inplace=True), *norm(), pool(),
        nn.Conv2d(w[1], w[2], kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(w[2], w[3], kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(w[3], w[4], kernel_size=3, padding=1), nn.ReLU(inplace=True), pool())
    if small_input:
        model.avgpool = nn.AdaptiveAvgPool2d(2)
        model.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(w[4] * 2 * 2, 1024), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(1024, 1024), nn.ReLU(inplace=True),
            nn.Linear(1024, num_classes))
    return model


def googlenet(in_channels=3, num_classes=1000, small_input=False, aux_logits=False):
    """torchvision.models.GoogLeNet (transform_input False). small_input: conv1 a 3x3 stride-1
    BasicConv2d and maxpool1 an Identity. With aux_logits, train mode returns torchvision's
    GoogLeNetOutputs(logits, aux_logits2, aux_logits1); eval mode the logits."""
    import torchvision
    from torchvision.models.googlenet import BasicConv2d

    model = torchvision.models.GoogLeNet(num_classes=num_classes, aux_logits=aux_logits,
                                         transform_input=False, init_weights=True)
    if small_input or in_channels != 3:
        k, s, p = (3, 1, 1) if small_input else (7, 2, 3)
        model.conv1 = BasicConv2d(in_channels, 64, kernel_size=k, stride=s, padding=p)
        nn.init.trunc_normal_(model.conv1.conv.weight, mean=0.0, std=0.01, a=-2, b=2)
    if small_input:
        model.maxpool1 = nn.Identity()
    return model


# ---- Inception-v4 (timm.models.inception_v4) ----------------------------------------------------
# timm's names (checked against timm 0.9.x and 1.0.x, which agree): features.0..21, each conv
# unit a ConvNormAct with "conv" (no bias) and "bn" (eps 1e-3), then last_linear. timm's bn is a
# BatchNormAct2d holding the ReLU; here it is a plain BatchNorm2d followed by a separate "relu",
# which has no parameters, so the state_dicts are the same. timm does no custom initialization
# (PyTorch's defaults). small_input: pad (the padding of every 3x3 conv and pool that timm runs
# unpadded) is 1 and features.0 has stride 1, so only strides and paddings change, never a shape.


class ConvNormAct(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Mixed3a(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=pad)
        self.conv = ConvNormAct(64, 96, 3, 2, pad)

    def forward(self, x):
        return torch.cat((self.maxpool(x), self.conv(x)), 1)


class Mixed4a(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.branch0 = nn.Sequential(ConvNormAct(160, 64, 1), ConvNormAct(64, 96, 3, 1, pad))
        self.branch1 = nn.Sequential(
            ConvNormAct(160, 64, 1), ConvNormAct(64, 64, (1, 7), 1, (0, 3)),
            ConvNormAct(64, 64, (7, 1), 1, (3, 0)), ConvNormAct(64, 96, 3, 1, pad))

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x)), 1)


class Mixed5a(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.conv = ConvNormAct(192, 192, 3, 2, pad)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=pad)

    def forward(self, x):
        return torch.cat((self.conv(x), self.maxpool(x)), 1)


def _avg_pool_branch(cin, cout):
    return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                         ConvNormAct(cin, cout, 1))


class InceptionA(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch0 = ConvNormAct(384, 96, 1)
        self.branch1 = nn.Sequential(ConvNormAct(384, 64, 1), ConvNormAct(64, 96, 3, 1, 1))
        self.branch2 = nn.Sequential(ConvNormAct(384, 64, 1), ConvNormAct(64, 96, 3, 1, 1),
                                     ConvNormAct(96, 96, 3, 1, 1))
        self.branch3 = _avg_pool_branch(384, 96)

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)), 1)


class ReductionA(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.branch0 = ConvNormAct(384, 384, 3, 2, pad)
        self.branch1 = nn.Sequential(ConvNormAct(384, 192, 1), ConvNormAct(192, 224, 3, 1, 1),
                                     ConvNormAct(224, 256, 3, 2, pad))
        self.branch2 = nn.MaxPool2d(3, stride=2, padding=pad)

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x)), 1)


class InceptionB(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch0 = ConvNormAct(1024, 384, 1)
        self.branch1 = nn.Sequential(
            ConvNormAct(1024, 192, 1), ConvNormAct(192, 224, (1, 7), 1, (0, 3)),
            ConvNormAct(224, 256, (7, 1), 1, (3, 0)))
        self.branch2 = nn.Sequential(
            ConvNormAct(1024, 192, 1), ConvNormAct(192, 192, (7, 1), 1, (3, 0)),
            ConvNormAct(192, 224, (1, 7), 1, (0, 3)), ConvNormAct(224, 224, (7, 1), 1, (3, 0)),
            ConvNormAct(224, 256, (1, 7), 1, (0, 3)))
        self.branch3 = _avg_pool_branch(1024, 128)

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)), 1)


class ReductionB(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.branch0 = nn.Sequential(ConvNormAct(1024, 192, 1), ConvNormAct(192, 192, 3, 2, pad))
        self.branch1 = nn.Sequential(
            ConvNormAct(1024, 256, 1), ConvNormAct(256, 256, (1, 7), 1, (0, 3)),
            ConvNormAct(256, 320, (7, 1), 1, (3, 0)), ConvNormAct(320, 320, 3, 2, pad))
        self.branch2 = nn.MaxPool2d(3, stride=2, padding=pad)

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x)), 1)


class InceptionC(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch0 = ConvNormAct(1536, 256, 1)
        self.branch1_0 = ConvNormAct(1536, 384, 1)
        self.branch1_1a = ConvNormAct(384, 256, (1, 3), 1, (0, 1))
        self.branch1_1b = ConvNormAct(384, 256, (3, 1), 1, (1, 0))
        self.branch2_0 = ConvNormAct(1536, 384, 1)
        self.branch2_1 = ConvNormAct(384, 448, (3, 1), 1, (1, 0))
        self.branch2_2 = ConvNormAct(448, 512, (1, 3), 1, (0, 1))
        self.branch2_3a = ConvNormAct(512, 256, (1, 3), 1, (0, 1))
        self.branch2_3b = ConvNormAct(512, 256, (3, 1), 1, (1, 0))
        self.branch3 = _avg_pool_branch(1536, 256)

    def forward(self, x):
        x1 = self.branch1_0(x)
        x2 = self.branch2_2(self.branch2_1(self.branch2_0(x)))
        return torch.cat((self.branch0(x), self.branch1_1a(x1), self.branch1_1b(x1),
                          self.branch2_3a(x2), self.branch2_3b(x2), self.branch3(x)), 1)


class InceptionV4(nn.Module):
    """timm's InceptionV4 (drop_rate 0, global average pooling); small_input: see above."""

    def __init__(self, in_channels=3, num_classes=1000, small_input=False):
        super().__init__()
        pad = 1 if small_input else 0
        features = [ConvNormAct(in_channels, 32, 3, 1 if small_input else 2, pad),
                    ConvNormAct(32, 32, 3, 1, pad), ConvNormAct(32, 64, 3, 1, 1),
                    Mixed3a(pad), Mixed4a(pad), Mixed5a(pad)]
        features += [InceptionA() for _ in range(4)]
        features += [ReductionA(pad)]
        features += [InceptionB() for _ in range(7)]
        features += [ReductionB(pad)]
        features += [InceptionC() for _ in range(3)]
        self.features = nn.Sequential(*features)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.last_linear = nn.Linear(1536, num_classes)

    def forward(self, x):
        return self.last_linear(torch.flatten(self.global_pool(self.features(x)), 1))


# ---- LeNet-5, MLP and softmax regression ---------------------------------------------------------


class LeNet5(nn.Module):
    """cnnlab's LeNet-5 (include/cnnlab/models/lenet.hpp) on C x 28 x 28: features conv(C, 6, 5,
    pad 2) act pool conv(6, 16, 5) act pool, classifier 400-120-84-classes with act between.
    classic ("lenet5_classic", LeCun 1998): Tanh and AvgPool2d(2) instead of ReLU and
    MaxPool2d(2), at the same indices."""

    def __init__(self, in_channels=1, num_classes=10, classic=False):
        super().__init__()

        def act():
            return nn.Tanh() if classic else nn.ReLU()

        def pool():
            return nn.AvgPool2d(2) if classic else nn.MaxPool2d(2)

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), act(), pool(), nn.Conv2d(6, 16, 5), act(),
            pool())
        self.classifier = nn.Sequential(nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84),
                                        act(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class Mlp(nn.Module):
    """cnnlab's Mlp (include/cnnlab/models/mlp.hpp): flatten, then layers = Linear, ReLU per
    hidden width and a last Linear; hidden () is softmax regression ("softmax")."""

    def __init__(self, in_features, hidden=(256, 128), num_classes=10):
        super().__init__()
        layers, width = [], in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.layers = nn.Sequential(*layers, nn.Linear(width, num_classes))

    def forward(self, x):
        return self.layers(torch.flatten(x, 1))


class CnnBn(nn.Module):
    """cnnlab's cnn_bn (include/cnnlab/models/cnn_bn.hpp): features = 3 x (Conv2d(in, w, 3,
    padding=1, bias=False), BatchNorm2d(w), ReLU, MaxPool2d(2)) for w = 32, 64, 128, flatten,
    classifier = Linear(128 * (H//2//2//2) * (W//2//2//2), 256), ReLU, Linear(256, classes).
    PyTorch's default initialization."""

    def __init__(self, in_channels=1, num_classes=10, input_size=(28, 28)):
        super().__init__()
        h, w = input_size
        if h < 8 or w < 8:
            raise ValueError("cnn_bn: expected input at least 8x8, got %dx%d" % (h, w))
        layers, cin = [], in_channels
        for width in (32, 64, 128):
            layers += [nn.Conv2d(cin, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            cin, h, w = width, h // 2, w // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(cin * h * w, 256), nn.ReLU(inplace=True),
                                        nn.Linear(256, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---- the registry -------------------------------------------------------------------------------


def is_small_input(input_shape):
    return input_shape[1] < SMALL_INPUT_SIZE or input_shape[2] < SMALL_INPUT_SIZE


def make_model(name, input_shape=(3, 224, 224), num_classes=1000):
    """The PyTorch model that cnnlab's make_model(name, {input_shape, num_classes}) builds."""
    c, h, w = input_shape
    small = is_small_input(input_shape)
    if name in ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152"):
        return resnet(int(name[6:]), c, num_classes, small)
    if name in ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110"):
        return CifarResNet(int(name[6:]), c, num_classes)
    if name.startswith("vgg"):
        bn = name.endswith("_bn")
        depth = int(name[3:].replace("_bn", ""))
        if depth in VGG_CONFIGS:
            return vgg(depth, bn, c, num_classes, small, (h, w))
    if name in ("alexnet", "alexnet_lrn"):
        return alexnet(c, num_classes, small, lrn=name == "alexnet_lrn")
    if name in ("googlenet", "googlenet_aux"):
        return googlenet(c, num_classes, small, aux_logits=name == "googlenet_aux")
    if name == "inception_v4":
        return InceptionV4(c, num_classes, small)
    if name in ("lenet5", "lenet5_classic"):
        return LeNet5(c, num_classes, classic=name == "lenet5_classic")
    if name in ("mlp", "softmax"):  # mlp with cnnlab's default --hidden 256,128
        return Mlp(c * h * w, (256, 128) if name == "mlp" else (), num_classes)
    if name == "cnn_bn":
        return CnnBn(c, num_classes, (h, w))
    raise ValueError("unknown model %r" % name)


if __name__ == "__main__":
    for n, shape, k in [("resnet18", (3, 224, 224), 1000), ("resnet20", (3, 32, 32), 10),
                        ("resnet110", (3, 32, 32), 10), ("vgg11_bn", (3, 32, 32), 10),
                        ("vgg11_bn", (1, 28, 28), 10), ("resnet18", (1, 28, 28), 10)]:
        m = make_model(n, shape, k)
        y = m.eval()(torch.zeros(2, *shape))
        print("%-10s %-14s %10d parameters -> %s" % (
            n, "x".join(map(str, shape)), sum(p.numel() for p in m.parameters()),
            tuple(y.shape)))
