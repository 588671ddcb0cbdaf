"""FE's PyTorch architectures, written out for the weight-compatibility tests, and a minimal
safetensors reader/writer (the format is an 8-byte header length, a JSON header, raw bytes).

    python fe_models.py export  <model> <dir>   # random PyTorch weights + an input and its output
    python fe_models.py check   <model> <dir>   # load Rust's weights, report the output on the input
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
NP = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def save_safetensors(tensors, path):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=NP[meta["dtype"]]).reshape(meta["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=(1, 1))
        self.conv1_bn = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=(1, 1))
        self.conv2_bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        x = F.leaky_relu(self.conv1_bn(self.conv1(x)), negative_slope=0.1)
        return F.leaky_relu(self.conv2_bn(self.conv2(x)), negative_slope=0.1)


class ResNet9(nn.Module):
    """FE's fe.architecture.pytorch.ResNet9: the same modules, names and forward pass."""

    def __init__(self, input_size=(3, 32, 32), classes=10):
        super().__init__()
        self.conv0 = nn.Conv2d(input_size[0], 64, 3, padding=(1, 1))
        self.conv0_bn = nn.BatchNorm2d(64, momentum=0.2)
        self.conv1 = nn.Conv2d(64, 128, 3, padding=(1, 1))
        self.conv1_bn = nn.BatchNorm2d(128, momentum=0.2)
        self.residual1 = Residual(128)
        self.conv2 = nn.Conv2d(128, 256, 3, padding=(1, 1))
        self.conv2_bn = nn.BatchNorm2d(256, momentum=0.2)
        self.residual2 = Residual(256)
        self.conv3 = nn.Conv2d(256, 512, 3, padding=(1, 1))
        self.conv3_bn = nn.BatchNorm2d(512, momentum=0.2)
        self.residual3 = Residual(512)
        self.fc1 = nn.Linear(512, classes)

    def forward(self, x):
        x = F.leaky_relu(self.conv0_bn(self.conv0(x)), negative_slope=0.1)
        x = F.leaky_relu(self.conv1_bn(F.max_pool2d(self.conv1(x), 2)), negative_slope=0.1)
        x = x + self.residual1(x)
        x = F.leaky_relu(self.conv2_bn(F.max_pool2d(self.conv2(x), 2)), negative_slope=0.1)
        x = x + self.residual2(x)
        x = F.leaky_relu(self.conv3_bn(F.max_pool2d(self.conv3(x), 2)), negative_slope=0.1)
        x = x + self.residual3(x)
        x = torch.flatten(nn.AdaptiveMaxPool2d((1, 1))(x), 1)
        return F.softmax(self.fc1(x), dim=-1)


def he_normal_convs(modules):
    """FE's UNet blocks re-initialise their convolutions: He-normal weights, zero biases."""
    for m in modules:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight.data)
            m.bias.data.zero_()


class UNetEncoderBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(cin, cout, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, kernel_size=3, padding=1), nn.ReLU(inplace=True))
        he_normal_convs(self.layers)

    def forward(self, x):
        skip = self.layers(x)
        return skip, F.max_pool2d(skip, 2)


class UNetDecoderBlock(nn.Module):
    def __init__(self, cin, mid, cout, upsample):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(cin, mid, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1), nn.ReLU(inplace=True),
            upsample,
            nn.Conv2d(mid, cout, 3, padding=1), nn.ReLU(inplace=True))
        he_normal_convs(self.layers)

    def forward(self, x):
        return self.layers(x)


def unet_head(output_channel):
    head = nn.Sequential(
        nn.Conv2d(128, 64, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(64, output_channel, 1), nn.Sigmoid())
    he_normal_convs(head)
    return head


def check_unet_input(input_size):
    _, h, w = input_size
    if h < 16 or h % 16 or w < 16 or w % 16:
        raise ValueError("height and width must be multiples of 16")


class UNetBase(nn.Module):
    """What both UNets share: enc1..enc4, the bottleneck and dec4..dec2, each an attribute of
    the model itself (so the state-dict names are FE's); `upsample` makes each upsampling layer."""

    def add_encoder(self, channels, upsample):
        self.enc1 = UNetEncoderBlock(channels, 64)
        self.enc2 = UNetEncoderBlock(64, 128)
        self.enc3 = UNetEncoderBlock(128, 256)
        self.enc4 = UNetEncoderBlock(256, 512)
        self.bottle_neck = UNetDecoderBlock(512, 1024, 512, upsample())

    def add_decoder(self, upsample):
        self.dec4 = UNetDecoderBlock(1024, 512, 256, upsample())
        self.dec3 = UNetDecoderBlock(512, 256, 128, upsample())
        self.dec2 = UNetDecoderBlock(256, 128, 64, upsample())

    def encode(self, x):
        x1, x = self.enc1(x)
        x2, x = self.enc2(x)
        x3, x = self.enc3(x)
        x4, x = self.enc4(x)
        return (x1, x2, x3, x4), self.bottle_neck(x)


class UNet(UNetBase):
    """FE's fe.architecture.pytorch.UNet (nearest upsampling, sigmoid output)."""

    def __init__(self, input_size=(1, 128, 128), output_channel=1):
        check_unet_input(input_size)
        super().__init__()
        up = lambda: nn.Upsample(scale_factor=2)
        self.add_encoder(input_size[0], up)
        self.add_decoder(up)
        self.dec1 = unet_head(output_channel)

    def forward(self, x):
        (x1, x2, x3, x4), y = self.encode(x)
        y = self.dec4(torch.cat((y, x4), 1))
        y = self.dec3(torch.cat((y, x3), 1))
        y = self.dec2(torch.cat((y, x2), 1))
        return self.dec1(torch.cat((y, x1), 1))


class AttentionBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.dec_layers = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout))
        self.enc_layers = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout))
        self.attn_layers = nn.Sequential(nn.Conv2d(cout, 1, 1), nn.BatchNorm2d(1))

    def forward(self, dec, enc):
        gate = F.relu(self.dec_layers(dec) + self.enc_layers(enc))
        return enc * torch.sigmoid(self.attn_layers(gate))


class AttentionUNet(UNetBase):
    """FE's fe.architecture.pytorch.AttentionUNet (bilinear, align_corners=True; one sigmoid
    output channel)."""

    def __init__(self, input_size=(1, 128, 128)):
        check_unet_input(input_size)
        super().__init__()
        up = lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.add_encoder(input_size[0], up)
        self.attn4 = AttentionBlock(512, 512)
        self.attn3 = AttentionBlock(256, 256)
        self.attn2 = AttentionBlock(128, 128)
        self.attn1 = AttentionBlock(64, 64)
        self.add_decoder(up)
        self.dec1 = unet_head(1)

    def forward(self, x):
        (x1, x2, x3, x4), y = self.encode(x)
        y = self.dec4(torch.cat((y, self.attn4(y, x4)), 1))
        y = self.dec3(torch.cat((y, self.attn3(y, x3)), 1))
        y = self.dec2(torch.cat((y, self.attn2(y, x2)), 1))
        return self.dec1(torch.cat((y, self.attn1(y, x1)), 1))


class BasicBlock(nn.Module):
    """FE's WRN unit: pre-activation, the shortcut a strided 1x1 conv when the width changes."""

    def __init__(self, cin, cout, stride, dropout=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, kernel_size=3, stride=1, padding=1, bias=False)
        self.dropout = dropout
        self.same_width = cin == cout
        self.convShortcut = None if self.same_width else nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x):
        activated = self.relu1(self.bn1(x))
        out = self.relu2(self.bn2(self.conv1(activated)))
        if self.dropout > 0:
            out = F.dropout(out, p=self.dropout, training=self.training)
        out = self.conv2(out)
        return (x if self.same_width else self.convShortcut(activated)) + out


class NetworkBlock(nn.Module):
    def __init__(self, units, cin, cout, stride, dropout):
        super().__init__()
        self.layer = nn.Sequential(*[
            BasicBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1, dropout) for i in range(units)])

    def forward(self, x):
        return self.layer(x)


class WideResidualNetwork(nn.Module):
    """FE's fe.architecture.pytorch.WideResidualNetwork (logits out)."""

    def __init__(self, depth=28, classes=10, widen_factor=10, dropout=0.0):
        super().__init__()
        assert (depth - 4) % 6 == 0
        units = (depth - 4) // 6
        widths = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.block1 = NetworkBlock(units, widths[0], widths[1], 1, dropout)
        self.block2 = NetworkBlock(units, widths[1], widths[2], 2, dropout)
        self.block3 = NetworkBlock(units, widths[2], widths[3], 2, dropout)
        self.bn1 = nn.BatchNorm2d(widths[3])
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(widths[3], classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                m.bias.data.zero_()

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = F.adaptive_avg_pool2d(self.relu(self.bn1(out)), (1, 1))
        return self.fc(torch.flatten(out, 1))


class ReviewSentiment(nn.Module):
    """FE's IMDB apphub model (imdb_torch.py), with one change the Rust docs explain: the LSTM
    reads the [batch, 32, max_len / 4] tensor batch-first, so a review's output does not depend
    on the other reviews in its batch. The state dict is FE's."""

    def __init__(self, max_words=10000, max_len=500, embedding_size=64, hidden_units=64):
        super().__init__()
        self.embedding = nn.Embedding(max_words, embedding_size)
        self.conv1d = nn.Conv1d(in_channels=embedding_size, out_channels=32, kernel_size=3, padding=1)
        self.maxpool1d = nn.MaxPool1d(kernel_size=4)
        self.lstm = nn.LSTM(input_size=max_len // 4, hidden_size=hidden_units, num_layers=1, batch_first=True)
        self.fc1 = nn.Linear(in_features=hidden_units, out_features=250)
        self.fc2 = nn.Linear(in_features=250, out_features=1)

    def forward(self, x):
        x = self.maxpool1d(F.relu(self.conv1d(self.embedding(x).permute((0, 2, 1)))))
        output, _ = self.lstm(x)
        x = F.relu(self.fc1(torch.tanh(output[:, -1])))
        return torch.sigmoid(self.fc2(x))


class LanguageModel(nn.Module):
    """FE's PTB apphub model (BuildModel in ptb_torch.py): sequence-first input, flattened logits."""

    def __init__(self, vocab_size=10000, embedding_dim=300, rnn_units=600):
        super().__init__()
        self.embed_layer = nn.Embedding(vocab_size, embedding_dim)
        self.lstm_layer = nn.LSTM(embedding_dim, rnn_units)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(rnn_units, vocab_size)
        nn.init.xavier_uniform_(self.lstm_layer.weight_ih_l0.data)
        nn.init.xavier_uniform_(self.lstm_layer.weight_hh_l0.data)

    def forward(self, x):
        x, _ = self.lstm_layer(self.embed_layer(x))
        return self.fc(self.dropout(x.reshape(x.size(0) * x.size(1), x.size(2))))


def images(shape):
    return lambda: torch.rand(4, *shape)


def tokens(vocab, shape):
    return lambda: torch.randint(0, vocab, shape)


# name: (the model the round trip uses, a maker of its input batch, FE's default model)
MODELS = {
    "resnet9": (ResNet9, images((3, 32, 32)), ResNet9),
    "unet": (lambda: UNet((2, 32, 32), output_channel=3), images((2, 32, 32)), UNet),
    "attention_unet": (lambda: AttentionUNet((2, 32, 32)), images((2, 32, 32)), AttentionUNet),
    "wideresnet": (lambda: WideResidualNetwork(depth=16, classes=7, widen_factor=2), images((3, 32, 32)),
                   WideResidualNetwork),
    "review_sentiment": (lambda: ReviewSentiment(max_words=50, max_len=40), tokens(50, (4, 40)), ReviewSentiment),
    "language_model": (lambda: LanguageModel(30, 8, 16), tokens(30, (5, 12)), LanguageModel),
}


def parameters(model):
    return sum(p.numel() for p in model.parameters())


def main():
    action, name, folder = sys.argv[1:4]
    build, make_input, build_default = MODELS[name]
    torch.manual_seed(0)
    model = build()
    x = make_input()
    if action == "export":
        # Two training-mode passes so the BatchNorm statistics (where there are any) are not
        # their defaults.
        if any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
            model.train()
            with torch.no_grad():
                for _ in range(2):
                    model(make_input())
        model.eval()
        with torch.no_grad():
            y = model(x)
        state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        save_safetensors(state, f"{folder}/torch_weights.safetensors")
        save_safetensors({"x": x, "y": y}, f"{folder}/torch_io.safetensors")
        print(json.dumps({"parameters": parameters(model), "default_parameters": parameters(build_default())}))
    else:
        state = load_safetensors(f"{folder}/rust_weights.safetensors")
        # strict: every key of the module must be there and nothing else. (PyTorch's BatchNorm
        # fills in its `num_batches_tracked` counter itself when a state dict lacks it.)
        model.load_state_dict(state, strict=True)
        model.eval()
        io = load_safetensors(f"{folder}/rust_io.safetensors")
        with torch.no_grad():
            y = model(io["x"])
        print(json.dumps({"max_abs_diff": float((y - io["y"]).abs().max())}))


if __name__ == "__main__":
    main()
