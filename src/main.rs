/// glibc malloc was a quarter of the gateway's CPU under load (many small, short-lived
/// allocations across worker threads); mimalloc handles that pattern much better.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    dragoman::cli::main()
}
