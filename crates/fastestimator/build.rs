//! Compiles the C++ shims against the same libtorch that tch links (torch-sys tells us where it
//! is): `csrc/c10d_shim.cpp`, a C ABI over PyTorch's distributed engine, and
//! `csrc/fused_optim.cpp`, one over libtorch's fused optimizer kernels, and `csrc/activation.cpp`,
//! one over activations whose parameters tch does not expose.
//!
//! The c10d headers ship with torch; Gloo's come from Debian's `libgloo-dev` (`./fe` installs it).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=csrc/c10d_shim.cpp");
    println!("cargo:rerun-if-changed=csrc/fused_optim.cpp");
    println!("cargo:rerun-if-changed=csrc/activation.cpp");
    println!("cargo:rerun-if-changed=csrc/guarded.h");
    println!("cargo:rerun-if-env-changed=FE_GLOO_INCLUDE");
    let lib = PathBuf::from(std::env::var("DEP_TCH_LIBTORCH_LIB").expect(
        "torch-sys did not report libtorch's folder (DEP_TCH_LIBTORCH_LIB); build through ./fe or set LIBTORCH",
    ));
    let include = lib.parent().map(|p| p.join("include")).unwrap_or_default();
    let gloo = std::env::var("FE_GLOO_INCLUDE").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("/usr/include"));
    if !gloo.join("gloo/algorithm.h").exists() {
        panic!(
            "\n\nfastestimator: Gloo's headers are missing ({}/gloo/algorithm.h).\n\
             The distributed layer compiles against them. Install Debian's libgloo-dev \
             (`apt-get install libgloo-dev`; ./fe does this for you), or point FE_GLOO_INCLUDE at a \
             folder holding gloo/.\n",
            gloo.display()
        );
    }
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .file("csrc/c10d_shim.cpp")
        .file("csrc/fused_optim.cpp")
        .file("csrc/activation.cpp")
        .include(&include)
        .include(include.join("torch/csrc/api/include"))
        .include(&gloo)
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .define("USE_C10D_GLOO", None)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-deprecated-declarations")
        .warnings(false);
    let nccl = std::env::var_os("CARGO_FEATURE_NCCL").is_some();
    if nccl {
        add_nccl(&mut build, &lib);
    }
    build.compile("fe_torch_shims");
    link_torch(&lib);
    if nccl {
        println!("cargo:rustc-link-lib=dylib=torch_cuda");
        println!("cargo:rustc-link-lib=dylib=c10_cuda");
    }
}

/// The `nccl` feature: ProcessGroupNCCL's headers need CUDA's and NCCL's, from the pip wheels
/// torch pulls in (`nvidia/cu13`, `nvidia/nccl`) plus the header-only `nvidia-cuda-crt` and
/// `nvidia-cuda-cccl` (README, "Training on several processes and machines").
fn add_nccl(build: &mut cc::Build, lib: &Path) {
    // torch/lib → site-packages
    let site = lib.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
    let nvidia = site.join("nvidia");
    let cu13 = nvidia.join("cu13/include");
    for needed in [cu13.join("cuda_runtime_api.h"), nvidia.join("nccl/include/nccl.h"), cu13.join("crt/host_defines.h")]
    {
        if !needed.exists() {
            panic!(
                "\n\nfastestimator: the `nccl` feature needs {} (pip install nvidia-cuda-crt==13.0.* \
                 nvidia-cuda-cccl==13.0.* into torch's environment).\n",
                needed.display()
            );
        }
    }
    build
        .define("FE_WITH_NCCL", None)
        .define("USE_C10D_NCCL", None)
        .define("USE_CUDA", None)
        .include(&cu13)
        .include(cu13.join("cccl"))
        .include(nvidia.join("nccl/include"));
}

fn link_torch(lib: &Path) {
    println!("cargo:rustc-link-search=native={}", lib.display());
    println!("cargo:rustc-link-lib=dylib=torch_cpu");
    println!("cargo:rustc-link-lib=dylib=c10");
}
