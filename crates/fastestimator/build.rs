//! Compiles the c10d shim (`csrc/c10d_shim.cpp`): a C ABI over PyTorch's distributed engine,
//! against the same libtorch that tch links (torch-sys tells us where it is).
//!
//! The c10d headers ship with torch; Gloo's come from Debian's `libgloo-dev` (`./fe` installs it).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=csrc/c10d_shim.cpp");
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
        .include(&include)
        .include(include.join("torch/csrc/api/include"))
        .include(&gloo)
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .define("USE_C10D_GLOO", None)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-deprecated-declarations")
        .warnings(false);
    build.compile("fe_c10d");
    link_torch(&lib);
}

fn link_torch(lib: &Path) {
    println!("cargo:rustc-link-search=native={}", lib.display());
    println!("cargo:rustc-link-lib=dylib=torch_cpu");
    println!("cargo:rustc-link-lib=dylib=c10");
}
