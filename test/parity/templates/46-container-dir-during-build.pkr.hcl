# Converted from 46-container-dir-during-build.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "default" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

source "docker" "custom" {
  image         = "kiln-test/busybox:1"
  pull          = false
  commit        = true
  container_dir = "/parity-dir"
}

source "docker" "export" {
  image       = "kiln-test/busybox:1"
  pull        = false
  export_path = "container-dir.tar"
}

build {
  description = "container_dir exists while the provisioners run (templates look at /packer-files); what they put there stays out of the result, and kiln leaves no empty stub"
  sources     = ["source.docker.default", "source.docker.custom", "source.docker.export"]

  provisioner "shell" {
    inline = [
      "for d in /packer-files /parity-dir; do if [ -d $d ]; then echo $d >> /seen.txt; touch $d/scratch; fi; done",
      "cat /seen.txt",
    ]
  }

  provisioner "file" {
    source      = "${path.root}/files/plain.txt"
    destination = "/packer-files/plain.txt"
    except      = ["docker.custom"]
  }

  provisioner "file" {
    source      = "${path.root}/files/plain.txt"
    destination = "/parity-dir/plain.txt"
    only        = ["docker.custom"]
  }

  provisioner "shell" {
    inline = ["ls /packer-files /parity-dir 2>/dev/null | sort > /listed.txt"]
  }
}
