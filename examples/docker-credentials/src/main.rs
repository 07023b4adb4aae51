fn main() -> std::process::ExitCode {
    ocm_example_docker_credentials::main()
}
