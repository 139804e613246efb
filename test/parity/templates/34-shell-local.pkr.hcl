# Converted from 34-shell-local.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "local" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "shell-local provisioner (environment, build ID, execute_command, only_on, valid_exit_codes) and post-processor; a generated file uploaded"
  sources     = ["source.docker.local"]

  provisioner "shell-local" {
    environment_vars = ["GREETING=hello", "SPACEY=a b 'c'"]
    inline = [
      "echo \"g=$GREETING s=$SPACEY n=$PACKER_BUILD_NAME t=$PACKER_BUILDER_TYPE\" > local.txt",
      "docker exec ${build.ID} sh -c 'echo from-the-host > /tmp/host-was-here'",
    ]
  }

  provisioner "shell-local" {
    execute_command = [
      "/bin/sh",
      "-c",
      "echo custom-runner >> local.txt; {{.Vars}} /bin/sh {{.Script}}",
    ]
    environment_vars = ["STAGE=custom"]
    inline           = ["echo \"stage=$STAGE\" >> local.txt"]
  }

  provisioner "shell-local" {
    only_on = ["windows"]
    inline  = ["echo not-on-linux >> local.txt"]
  }

  provisioner "shell-local" {
    only_on          = ["linux"]
    valid_exit_codes = [0, 3]
    inline           = ["echo on-linux >> local.txt", "exit 3"]
  }

  provisioner "shell-local" {
    inline = ["echo generated-on-the-host > generated.txt"]
  }

  provisioner "file" {
    source      = "generated.txt"
    destination = "/generated.txt"
    generated   = true
  }

  provisioner "shell" {
    inline = ["cat /tmp/host-was-here > /host.txt"]
  }

  post-processor "shell-local" {
    environment_vars = ["STAGE=post"]
    inline           = ["echo \"stage=$STAGE n=$PACKER_BUILD_NAME t=$PACKER_BUILDER_TYPE\" > post.txt"]
  }
}
