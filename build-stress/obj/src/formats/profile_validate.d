build-stress/obj/src/formats/profile_validate.o: \
 src/formats/profile_validate.c src/formats/schema_int.h \
 include/macext/plist_util.h include/macext/err.h \
 include/macext/profile.h include/macext/core.h
src/formats/schema_int.h:
include/macext/plist_util.h:
include/macext/err.h:
include/macext/profile.h:
include/macext/core.h:
