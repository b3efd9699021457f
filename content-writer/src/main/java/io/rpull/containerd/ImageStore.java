package io.rpull.containerd;

import java.util.Optional;

/** Image records of one namespace; a pull writes them last, when everything they point at is in place. */
public interface ImageStore {
  Optional<ImageRecord> get(String name);

  /** Creates the record, or replaces target and labels of an existing one, as containerd's client does. */
  void put(ImageRecord record);
}
